// drop_constraint (one column, deprecated by pgroll) and drop_multicolumn_constraint: the constraint's
// columns are duplicated without it, so the new version may write values it would refuse; `down`
// maps them back to values the old version's constraint accepts. Complete drops the old columns,
// and the constraint with them.
#include <algorithm>

#include "core/column_duplication.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

// The physical columns of a check, unique or foreign key constraint of the table, from the catalog.
std::vector<std::string> constraint_columns(const VirtualTable &table, const std::string &name)
{
	if (table.catalog.is_object())
		for (const char *kind : {"checkConstraints", "uniqueConstraints", "foreignKeys"}) {
			const json entries = table.catalog.value(kind, json::object());
			if (entries.contains(name)) {
				std::vector<std::string> columns;
				for (const auto &column : entries[name].value("columns", json::array()))
					columns.push_back(column.get<std::string>());
				return columns;
			}
		}
	throw Error(sqlstate::undefined_object, "constraint \"" + name + "\" does not exist on table \"" + table.name + "\"",
	            "Only check, unique and foreign key constraints can be dropped this way.");
}

// The virtual name of the column behind `physical`.
std::string virtual_name(const VirtualTable &table, const std::string &physical)
{
	for (const auto &column : table.columns)
		if (column.physical == physical)
			return column.name;
	throw Error(sqlstate::undefined_column, "column \"" + physical + "\" of table \"" + table.name +
	                                            "\" is not visible in the new version");
}

void drop_with_columns(PlanningContext &context, VirtualTable &table, const std::string &name,
                       const std::vector<DuplicationRequest> &requests, OperationPlan &plan)
{
	duplicate_columns(context, table, requests, plan);
	table.constraint_names.erase(name);
}

}  // namespace

void plan_drop_constraint(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const std::string name = body.at("name").get<std::string>();
	std::vector<std::string> columns = constraint_columns(table, name);
	if (columns.size() != 1)
		throw Error(sqlstate::invalid_migration, "constraint \"" + name + "\" covers " + std::to_string(columns.size()) +
		                                             " columns; use drop_multicolumn_constraint");
	if (body.value("down", "").empty())
		throw Error(sqlstate::invalid_migration, "field \"down\" is required to drop constraint \"" + name + "\"");
	DuplicationRequest request;
	request.column = virtual_name(table, columns.front());
	request.constraints_to_drop = {name};
	request.up = body.value("up", "");
	request.down = body["down"].get<std::string>();
	drop_with_columns(context, table, name, {request}, plan);
}

void plan_drop_multicolumn_constraint(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const std::string name = body.at("name").get<std::string>();
	std::vector<std::string> columns;
	for (const auto &physical : constraint_columns(table, name))
		columns.push_back(virtual_name(table, physical));
	std::sort(columns.begin(), columns.end());
	const json up = body.value("up", json::object()), down = body.at("down");
	for (const json *map : {&up, &down})
		for (const auto &item : map->items())
			if (std::find(columns.begin(), columns.end(), item.key()) == columns.end())
				throw Error(sqlstate::invalid_migration, "migration for column \"" + item.key() + "\" in \"" + table.name +
				                                             "\" is redundant: constraint \"" + name + "\" does not cover it");
	std::vector<DuplicationRequest> requests;
	for (const auto &column : columns) {
		if (!down.contains(column))
			throw Error(sqlstate::invalid_migration, "migration for column \"" + column + "\" in \"" + table.name +
			                                             "\" is missing: give it a \"down\"");
		DuplicationRequest request;
		request.column = column;
		request.constraints_to_drop = {name};
		request.up = up.value(column, "");
		request.down = down[column].get<std::string>();
		requests.push_back(request);
	}
	drop_with_columns(context, table, name, requests, plan);
}

}  // namespace pgshift
