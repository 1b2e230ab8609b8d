// Strict check of a migration document against pgroll's file format (schema.json): unknown or
// mistyped fields, missing required fields and values outside an enum are refused with the path of
// the offending field, e.g. `operations[1].create_table.columns[0].nullable: expected a boolean`.
#pragma once
#include <string>

#include "core/json.hpp"

namespace pgshift {

// Throws Error(invalid_migration) on the first problem found.
void check_migration_format(const json &migration);

// The operation's name (its only key) and body; call after check_migration_format.
const std::string &operation_kind(const json &operation);
const json &operation_body(const json &operation);

}  // namespace pgshift
