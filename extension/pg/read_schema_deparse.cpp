// Calls PostgreSQL's SQL-level deparsers directly (no SPI): the same C functions that
// pg_get_expr(), pg_get_indexdef() and pg_get_constraintdef() run, so the text matches what
// pgroll's PL/pgSQL read_schema produces. These functions return SQL NULL for an object that
// disappeared, which DirectFunctionCall would turn into an error, hence the small caller below.
#include "pg/read_schema.hpp"

extern "C" {
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
}

// Calls fn(args...) and returns its text result as a C string, or NULL for an SQL NULL result.
static char *call_text_function(PGFunction fn, int nargs, Datum arg0, Datum arg1, Datum arg2)
{
	FunctionCallInfo fcinfo = (FunctionCallInfo) palloc(SizeForFunctionCallInfo(3));
	Datum args[3] = {arg0, arg1, arg2};
	Datum result;

	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = false;
	}
	result = fn(fcinfo);
	if (fcinfo->isnull)
		return NULL;
	return TextDatumGetCString(result);
}

char *deparse_expression_of(Datum node_text, Oid relid)
{
	return call_text_function(pg_get_expr, 2, node_text, ObjectIdGetDatum(relid), 0);
}

char *deparse_node_string(const char *node_string, Oid relid)
{
	return deparse_expression_of(CStringGetTextDatum(node_string), relid);
}

char *deparse_index(Oid index_oid)
{
	return call_text_function(pg_get_indexdef, 1, ObjectIdGetDatum(index_oid), 0, 0);
}

// One column of an index: its name quoted as needed, or its expression.
char *deparse_index_column(Oid index_oid, int column_number)
{
	return call_text_function(pg_get_indexdef_ext, 3, ObjectIdGetDatum(index_oid),
	                          Int32GetDatum(column_number), BoolGetDatum(false));
}

char *deparse_constraint(Oid constraint_oid)
{
	return call_text_function(pg_get_constraintdef, 1, ObjectIdGetDatum(constraint_oid), 0, 0);
}
