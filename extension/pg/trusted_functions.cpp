// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/trusted_functions.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
}

namespace {

struct TrustCheck {
	Oid table_owner;
	Oid untrusted;        // the first function found whose owner is not trusted
	Oid untrusted_type;   // or the first domain
};

Oid type_owner(Oid type)
{
	HeapTuple entry = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
	if (!HeapTupleIsValid(entry))
		elog(ERROR, "cache lookup failed for type %u", type);
	Oid owner = reinterpret_cast<Form_pg_type>(GETSTRUCT(entry))->typowner;
	ReleaseSysCache(entry);
	return owner;
}

Oid function_owner(Oid function)
{
	HeapTuple entry = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	if (!HeapTupleIsValid(entry))
		elog(ERROR, "cache lookup failed for function %u", function);
	Oid owner = reinterpret_cast<Form_pg_proc>(GETSTRUCT(entry))->proowner;
	ReleaseSysCache(entry);
	return owner;
}

bool is_untrusted(Oid function, void *context)
{
	auto *check = static_cast<TrustCheck *>(context);
	Oid owner = function_owner(function);
	// The table's owner itself, not any role it belongs to: a role may GRANT itself to another
	// (before PostgreSQL 16), and every role "belongs" to a superuser owner.
	if (superuser_arg(owner) || owner == check->table_owner)
		return false;
	check->untrusted = function;
	return true;
}

bool find_untrusted(Node *node, void *context)
{
	if (node == nullptr)
		return false;
	// PostgreSQL 15 declares the walkers as `bool (*)()`; casting through `void (*)()` says we mean it.
	auto walker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(find_untrusted));
	if (IsA(node, Query))
		return query_tree_walker(castNode(Query, node), walker, context, 0);
	// A domain's CHECK constraints run on coercion to it: its owner must be trusted too.
	if (IsA(node, CoerceToDomain)) {
		auto *check = static_cast<TrustCheck *>(context);
		Oid owner = type_owner(castNode(CoerceToDomain, node)->resulttype);
		if (!superuser_arg(owner) && owner != check->table_owner) {
			check->untrusted_type = castNode(CoerceToDomain, node)->resulttype;
			return true;
		}
	}
	if (check_functions_in_node(node, is_untrusted, context))
		return true;
	return expression_tree_walker(node, walker, context);
}

}  // namespace

void require_trusted_functions(Node *node, Oid table_owner)
{
	TrustCheck check{table_owner, InvalidOid, InvalidOid};
	if (!find_untrusted(node, &check))
		return;
	if (OidIsValid(check.untrusted_type))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("it uses domain %s of role \"%s\", which is neither a superuser nor the table's owner (\"%s\")",
		                       format_type_be_qualified(check.untrusted_type),
		                       GetUserNameFromId(type_owner(check.untrusted_type), false), GetUserNameFromId(table_owner, false)),
		                errdetail("Its constraints would run with the rights of every client that writes the table.")));
	Oid owner = function_owner(check.untrusted);
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
	                errmsg("it calls function %s of role \"%s\", which is neither a superuser nor the table's owner (\"%s\")",
	                       format_procedure_qualified(check.untrusted), GetUserNameFromId(owner, false),
	                       GetUserNameFromId(table_owner, false)),
	                errdetail("It would run with the rights of every client that writes the table."),
	                errhint("Name the function you mean with its schema (pg_catalog.format(...)), or have the table's owner own it.")));
}
