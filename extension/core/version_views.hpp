// The version schema: one view per table, mapping virtual names to physical columns.
// The overlay is the JSON form of a virtual schema's views:
//   {"tables": [{"name": view, "physical": table, "columns": [[virtual, physical], ...],
//                "defaults": {virtual: expression}}]}
// An overlay without "tables" means "every table and column as the catalog has them".
#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

json views_overlay(const VirtualSchema &virt);

// CREATE SCHEMA, then CREATE VIEW ... WITH (security_invoker) and view column defaults.
std::vector<std::string> version_schema_sql(const std::string &schema, const std::string &version_schema,
                                            const json &catalog, const json &overlay);

}  // namespace pgshift
