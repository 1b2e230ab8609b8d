// Plans a migration's start: checks it against a read_schema() snapshot and returns, as JSON,
//   {"name", "version_schema",
//    "start":    [{"sql", "op"}...],   statements start executes, in order
//    "complete": [{"sql", "op"}...],   statements complete executes
//    "rollback": [{"sql", "op"}...],   statements rollback executes (operations last-first)
//    "jobs":     [{"kind": "sql"|"backfill", "statement", "table"?}...], run by the worker after start
//    "overlay":  {"tables": [...]},    the new version's views (see version_views.hpp)
//    "refresh_views": bool}            whether complete rebuilds the views from the catalog
// "op" labels each statement with its operation, e.g. `operations[0] (create_table "users")`.
#pragma once
#include <string>

#include "core/expression_columns.hpp"
#include "core/json.hpp"

namespace pgshift {

// `context`: {"previous_version": "<version schema before this migration>" | null}.
json plan_start(const std::string &schema, const json &migration, const json &catalog, const json &context,
                const ExpressionParser &parser);

}  // namespace pgshift
