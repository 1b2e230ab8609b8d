// SQL-callable entry points of the planner (pgshift.plan_start, pgshift.version_schema_sql).
// They own only plain data: arguments are turned into C strings, the C++ core runs behind the
// bridge (which catches every exception), and errors are raised after it has returned.
#include "pg/bridge_call.hpp"
#include "pg/expression_parser.hpp"

extern "C" {
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(pgshift_plan_start);
PG_FUNCTION_INFO_V1(pgshift_version_schema_sql);
}

namespace {

char *jsonb_text(Jsonb *value)
{
	return JsonbToCString(nullptr, &value->root, VARSIZE(value));
}

}  // namespace

extern "C" Datum pgshift_plan_start(PG_FUNCTION_ARGS)
{
	const char *schema = NameStr(*PG_GETARG_NAME(0));
	char *migration = jsonb_text(PG_GETARG_JSONB_P(1));
	char *catalog = jsonb_text(PG_GETARG_JSONB_P(2));
	char *context = jsonb_text(PG_GETARG_JSONB_P(3));
	PostgresExpressionParser parser;   // trivially destructible: safe in this frame
	// Expressions are checked as start will run them: with the managed schema first in search_path,
	// so that its types and functions resolve (an enum default of a column in that schema).
	int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", quote_identifier(schema), PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
	                         true, 0, false);
	BridgeResult result = bridge_plan_start(schema, migration, catalog, context, parser);
	AtEOXact_GUC(true, nest_level);
	char *plan = bridge_take_text(&result);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(plan)));
}

extern "C" Datum pgshift_version_schema_sql(PG_FUNCTION_ARGS)
{
	const char *schema = NameStr(*PG_GETARG_NAME(0));
	const char *version_schema = NameStr(*PG_GETARG_NAME(1));
	char *catalog = jsonb_text(PG_GETARG_JSONB_P(2));
	char *overlay = jsonb_text(PG_GETARG_JSONB_P(3));
	// 0.1.0 declared four arguments; its databases call this library until they are updated, and
	// get the views 0.1.0 made.
	char *options = PG_NARGS() > 4 ? jsonb_text(PG_GETARG_JSONB_P(4)) : pstrdup("{\"legacy\": true}");
	BridgeResult result = bridge_version_schema_sql(schema, version_schema, catalog, overlay, options);
	PG_RETURN_DATUM(bridge_take_text_array(&result));
}
