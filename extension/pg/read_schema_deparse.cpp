// Deparsed SQL text for read_schema, from PostgreSQL's SQL-level deparsers called directly (no
// SPI): the same C functions that pg_get_expr(), pg_get_indexdef() and pg_get_constraintdef()
// run, so the text matches what pgroll's PL/pgSQL read_schema produces. Results are cached across
// calls (deparse_cache.hpp says when the cache is dropped).
//
// The deparsers return SQL NULL for an object that disappeared meanwhile, which DirectFunctionCall
// would turn into an error; call_text_function handles that, and NULL is never cached.
#include "pg/read_schema.hpp"
#include "pg/deparse_cache.hpp"

extern "C" {
#include "common/hashfn.h"
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

static DeparseKey make_key(int32 kind, Oid object, int32 detail)
{
	DeparseKey key;
	key.kind = kind;
	key.object = object;
	key.detail = detail;
	return key;
}

// Looks key up in the cache, or calls fn and remembers its answer.
static char *cached_call(DeparseKey key, const char *node_string, PGFunction fn, int nargs,
                         Datum arg0, Datum arg1, Datum arg2)
{
	char *text = deparse_cache_get(&key, node_string);

	if (text != NULL)
		return text;
	text = call_text_function(fn, nargs, arg0, arg1, arg2);
	if (text != NULL)
		deparse_cache_put(&key, node_string, text);
	return text;
}

char *deparse_node_string(const char *node_string, Oid relid)
{
	int32 hash = (int32) hash_bytes((const unsigned char *) node_string, (int) strlen(node_string));

	return cached_call(make_key(DEPARSE_EXPRESSION, relid, hash), node_string, pg_get_expr, 2,
	                   CStringGetTextDatum(node_string), ObjectIdGetDatum(relid), 0);
}

char *deparse_expression_of(Datum node_text, Oid relid)
{
	return deparse_node_string(TextDatumGetCString(node_text), relid);
}

char *deparse_index(Oid index_oid)
{
	return cached_call(make_key(DEPARSE_INDEX, index_oid, 0), NULL, pg_get_indexdef, 1,
	                   ObjectIdGetDatum(index_oid), 0, 0);
}

// One column of an index: its name quoted as needed, or its expression.
char *deparse_index_column(Oid index_oid, int column_number)
{
	return cached_call(make_key(DEPARSE_INDEX_COLUMN, index_oid, column_number), NULL,
	                   pg_get_indexdef_ext, 3, ObjectIdGetDatum(index_oid),
	                   Int32GetDatum(column_number), BoolGetDatum(false));
}

char *deparse_constraint(Oid constraint_oid)
{
	return cached_call(make_key(DEPARSE_CONSTRAINT, constraint_oid, 0), NULL,
	                   pg_get_constraintdef, 1, ObjectIdGetDatum(constraint_oid), 0, 0);
}
