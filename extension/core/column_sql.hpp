// The column definition clause of the migration format's Column object:
// `"name" type [GENERATED ...] [DEFAULT ...] [NOT NULL] [UNIQUE] [CHECK ...] [REFERENCES ...]`.
#pragma once
#include <string>

#include "core/constraint_sql.hpp"
#include "core/json.hpp"

namespace pgshift {

// Validates a Column object (names, type, generated/default/identity combinations); `label` prefixes
// messages.
void check_column(const json &column, const std::string &label);

std::string column_definition_sql(const json &column, const std::string &physical_name, const ReferenceTarget &target);

// The column as the virtual schema records it.
VirtualColumn virtual_column(const json &column, const std::string &physical_name);

}  // namespace pgshift
