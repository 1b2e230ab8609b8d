// drop_column: the column disappears from the new version at start and from the table at complete.
// `down` fills it for rows written through the new version, so old-version readers see a value and
// its NOT NULL or check constraints still hold.
#include <algorithm>

#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

void plan_drop_column(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>(), OnRebuilt::change_the_rebuild);
	const std::string name = body.at("column").get<std::string>();
	const VirtualColumn *column = table.find_column(name);
	if (column == nullptr)
		throw Error(sqlstate::undefined_column, "column \"" + name + "\" does not exist in table \"" + table.name + "\"");
	if (std::find(table.primary_key.begin(), table.primary_key.end(), name) != table.primary_key.end())
		throw Error(sqlstate::invalid_migration, "column \"" + name + "\" is part of the primary key of table \"" +
		                                             table.name + "\" and cannot be dropped");
	const std::string physical = column->physical;

	for (auto it = table.columns.begin(); it != table.columns.end(); ++it)
		if (it->name == name) {
			table.columns.erase(it);
			break;
		}
	const std::string down = body.value("down", "");
	if (!down.empty())
		context.dual_writes.add(table, ColumnAssignment{"down", physical, down, table.column_map()});
	plan.complete.push_back("ALTER TABLE " + quote_qualified(context.schema, table.physical) + " DROP COLUMN IF EXISTS " +
	                        quote_ident(physical));
	plan.dropped_columns.emplace_back(table.physical, physical);
}

}  // namespace pgshift
