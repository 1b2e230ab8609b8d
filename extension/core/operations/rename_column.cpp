// rename_column: nothing changes on disk at start; the new version's view shows the column under its
// new name. Complete renames the table column (with the other final renames: final_renames.hpp).
#include <algorithm>

#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

void plan_rename_column(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>(), OnRebuilt::change_the_rebuild);
	const std::string from = body.at("from").get<std::string>();
	const std::string to = body.at("to").get<std::string>();
	check_identifier(from, "column name");
	check_identifier(to, "new column name");
	VirtualColumn *column = table.find_column(from);
	if (column == nullptr)
		throw Error(sqlstate::undefined_column, "column \"" + from + "\" does not exist in table \"" + table.name + "\"");
	if (table.find_column(to) != nullptr)
		throw Error(sqlstate::duplicate_column, "column \"" + to + "\" already exists in table \"" + table.name + "\"");

	column->name = to;
	std::replace(table.primary_key.begin(), table.primary_key.end(), from, to);
}

}  // namespace pgshift
