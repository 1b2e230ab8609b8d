// The only door from PostgreSQL-side code into the C++ core. These functions never throw: every
// exception becomes an error in the result. Results are malloc'd plain C data, released with
// bridge_result_free (pg/bridge_call.cpp ties that to a memory context).
// Include this from pg/ files BEFORE the extern "C" PostgreSQL headers.
#pragma once

struct BridgeResult {
	char *text;         // the result, when the function returns one string
	char **items;       // the result, when it returns a list
	int item_count;
	char *error;        // set on failure: the message
	char *hint;         // optional hint for the user
	char sqlstate[6];   // five characters and a NUL
};

namespace pgshift {
class ExpressionParser;
}

// pgshift.plan_start: migration, catalog and context are JSON text; the result is the plan as JSON text.
BridgeResult bridge_plan_start(const char *schema, const char *migration_json, const char *catalog_json,
                               const char *context_json, const pgshift::ExpressionParser &parser) noexcept;

// pgshift.version_schema_sql: the result is the list of statements. options_json:
// {"pending": bool, "replace": bool, "version_name": text} (core/version_views.hpp).
BridgeResult bridge_version_schema_sql(const char *schema, const char *version_schema, const char *catalog_json,
                                       const char *overlay_json, const char *options_json) noexcept;

void bridge_result_free(BridgeResult *result) noexcept;
