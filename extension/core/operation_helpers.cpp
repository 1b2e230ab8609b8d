// Small lookups every operation planner needs.
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

VirtualTable &existing_table(PlanningContext &context, const std::string &name)
{
	VirtualTable *table = context.virt.find_table(name);
	if (table == nullptr)
		throw Error(sqlstate::undefined_table, "table \"" + name + "\" does not exist in schema \"" + context.schema + "\"");
	if (table->rebuilt)
		throw Error(sqlstate::feature_not_supported,
		            "table \"" + name + "\" is rebuilt by this migration: pgshift cannot combine other operations on it with "
		            "rebuild_table yet",
		            "Make the other changes in a migration of their own, before or after the rebuild.");
	return *table;
}

std::string new_column_name(const std::string &column)
{
	std::string name = std::string(internal_prefix) + "new_" + column;
	check_identifier(name, "column name with pgshift's prefix");
	return name;
}

}  // namespace pgshift
