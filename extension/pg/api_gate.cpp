// Who may do what through pgshift's SQL functions (README, "Security model").
//
// pgshift.start, complete, rollback and the other functions that change pgshift's state are one C
// entry point, this gate. It notes who called (GetUserId(): the role in effect at the call, which a
// caller cannot forge), becomes the extension's owner, and calls the function's implementation,
// pgshift._<name>(caller, arguments...), a PL/pgSQL function that nobody else may execute. The
// implementation checks that the caller may act on the schema before anything else, and is the
// only code that writes pgshift's tables. It runs nothing a user wrote with the owner's rights: the
// migration's statements run as the migration's role, through pgshift._run_as.
//
// This is SECURITY DEFINER done by hand: a SECURITY DEFINER function cannot tell who called it
// (inside, current_user is the definer), and a wrapper passing current_user along could be
// bypassed by calling the implementation with another role's name.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
extern "C" {
#include "postgres.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(pgshift_api_gate);
PG_FUNCTION_INFO_V1(pgshift_run_as);
}

namespace {

// What the gate found for the function it serves, kept in its FmgrInfo between calls.
struct Gate {
	FmgrInfo implementation;
	Oid owner;   // of the implementation: the extension's owner
};

Gate *gate_for(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra != nullptr)
		return static_cast<Gate *>(fcinfo->flinfo->fn_extra);
	HeapTuple entry = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(entry))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	auto *form = reinterpret_cast<Form_pg_proc>(GETSTRUCT(entry));
	int nargs = form->pronargs;
	if (nargs + 1 > FUNC_MAX_ARGS)
		elog(ERROR, "pgshift: too many arguments for the gate of %s", NameStr(form->proname));
	Oid argtypes[FUNC_MAX_ARGS];
	argtypes[0] = REGROLEOID;
	for (int i = 0; i < nargs; i++)
		argtypes[i + 1] = form->proargtypes.values[i];
	List *name = list_make2(makeString(get_namespace_name(form->pronamespace)),
	                        makeString(psprintf("_%s", NameStr(form->proname))));
	ReleaseSysCache(entry);
	Oid implementation = LookupFuncName(name, nargs + 1, argtypes, false);

	auto *gate = static_cast<Gate *>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(Gate)));
	fmgr_info_cxt(implementation, &gate->implementation, fcinfo->flinfo->fn_mcxt);
	HeapTuple implementation_entry = SearchSysCache1(PROCOID, ObjectIdGetDatum(implementation));
	if (!HeapTupleIsValid(implementation_entry))
		elog(ERROR, "cache lookup failed for function %u", implementation);
	gate->owner = reinterpret_cast<Form_pg_proc>(GETSTRUCT(implementation_entry))->proowner;
	ReleaseSysCache(implementation_entry);
	fcinfo->flinfo->fn_extra = gate;
	return gate;
}

}  // namespace

extern "C" Datum pgshift_api_gate(PG_FUNCTION_ARGS)
{
	Gate *gate = gate_for(fcinfo);
	Oid caller;
	int security_context;
	GetUserIdAndSecContext(&caller, &security_context);

	LOCAL_FCINFO(call, FUNC_MAX_ARGS);
	InitFunctionCallInfoData(*call, &gate->implementation, PG_NARGS() + 1, fcinfo->fncollation, fcinfo->context,
	                         fcinfo->resultinfo);
	call->args[0].value = ObjectIdGetDatum(caller);
	call->args[0].isnull = false;
	for (int i = 0; i < PG_NARGS(); i++)
		call->args[i + 1] = fcinfo->args[i];

	// As fmgr does for SECURITY DEFINER: an error unwinds the change with the (sub)transaction.
	SetUserIdAndSecContext(gate->owner, security_context | SECURITY_LOCAL_USERID_CHANGE);
	Datum result = FunctionCallInvoke(call);
	SetUserIdAndSecContext(caller, security_context);
	fcinfo->isnull = call->isnull;
	return result;
}

// pgshift._run_as(role, statement, schema, argument) -> text: runs one statement of pgshift's own
// (such as `SELECT pgshift._execute($1, $2)`) as `role`, with $1 = schema and $2 = argument, and
// returns the first column of its first row (NULL when none); as a restricted
// operation: the SQL of the migration it runs cannot SET ROLE or RESET ROLE its way to the rights of
// whoever called pgshift (a superuser completing somebody's migration). Only the implementations
// behind the gate may call it.
extern "C" Datum pgshift_run_as(PG_FUNCTION_ARGS)
{
	// Its ACL is not the only guard: it runs anything as anyone, so only the gate's implementations
	// (running as the extension's owner, a superuser) may call it, whatever was granted.
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied for function _run_as")));
	Oid role = PG_GETARG_OID(0);
	const char *statement = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Datum schema = PG_GETARG_DATUM(2);
	Datum argument = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);

	Oid previous_user;
	int security_context;
	GetUserIdAndSecContext(&previous_user, &security_context);
	SetUserIdAndSecContext(role, security_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	// Settings the statement changes (even with a plain SET, which would outlive a function's SET
	// clause) are rolled back when it returns, as PostgreSQL does after an index build's functions:
	// the implementation that called, running as the owner, must not find a search_path of the
	// migration's choosing, nor the caller's session keep one.
	int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
	                         false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid types[2] = {NAMEOID, JSONBOID};
	Datum values[2] = {schema, argument};
	char nulls[2] = {' ', PG_ARGISNULL(3) ? 'n' : ' '};
	MemoryContext caller_memory = CurrentMemoryContext;
	SPI_execute_with_args(statement, 2, types, values, nulls, false, 0);
	char *first = nullptr;   // the first column of the first row, as text
	if (SPI_tuptable != nullptr && SPI_processed > 0) {
		char *value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		if (value != nullptr)
			first = MemoryContextStrdup(caller_memory, value);
	}
	SPI_finish();
	AtEOXact_GUC(false, nest_level);
	SetUserIdAndSecContext(previous_user, security_context);
	if (first == nullptr)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(first));
}
