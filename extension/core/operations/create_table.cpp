// create_table: the table is created under its final name at start (only the new version's views
// show it), nothing happens at complete, and rollback drops it.
#include <set>

#include "core/column_sql.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

// The table as the virtual schema will record it, checking column names are unique.
VirtualTable new_table(const json &body)
{
	VirtualTable table;
	table.name = body.at("name").get<std::string>();
	table.physical = table.name;
	for (std::size_t i = 0; i < body.at("columns").size(); i++) {
		const json &column = body["columns"][i];
		check_column(column, "columns[" + std::to_string(i) + "]");
		if (table.find_column(column["name"].get<std::string>()) != nullptr)
			throw Error(sqlstate::duplicate_column,
			            "column \"" + column["name"].get<std::string>() + "\" is specified more than once");
		table.columns.push_back(virtual_column(column, column["name"].get<std::string>()));
		if (column.value("pk", false))
			table.primary_key.push_back(column["name"].get<std::string>());
	}
	return table;
}

void record_constraint_name(VirtualTable &table, const std::string &name)
{
	if (!table.constraint_names.insert(name).second)
		throw Error(sqlstate::duplicate_object, "constraint \"" + name + "\" is defined more than once on table \"" +
		                                             table.name + "\"");
}

}  // namespace

void plan_create_table(const json &body, PlanningContext &context, OperationPlan &plan)
{
	const std::string name = body.at("name").get<std::string>();
	check_identifier(name, "table name");
	if (context.virt.find_table(name) != nullptr)
		throw Error(sqlstate::duplicate_table,
		            "table \"" + name + "\" already exists in schema \"" + context.schema + "\"");

	VirtualTable table = new_table(body);
	ReferenceTarget target{context, &table};

	std::vector<std::string> definitions;
	for (const auto &column : body["columns"]) {
		if (column.contains("check"))
			record_constraint_name(table, column["check"]["name"].get<std::string>());
		if (column.contains("references"))
			record_constraint_name(table, column["references"]["name"].get<std::string>());
		definitions.push_back(column_definition_sql(column, column["name"].get<std::string>(), target));
	}
	if (!table.primary_key.empty())
		definitions.push_back("PRIMARY KEY (" + quote_ident_list(table.primary_key) + ")");

	const json constraints = body.value("constraints", json::array());
	for (std::size_t i = 0; i < constraints.size(); i++) {
		const json &constraint = constraints[i];
		std::string label = "constraints[" + std::to_string(i) + "]";
		check_table_constraint(constraint, table, target, label);
		if (constraint["type"] == "primary_key" && !table.primary_key.empty())
			throw Error(sqlstate::invalid_migration,
			            label + ": the table already has a primary key from columns marked \"pk\"");
		record_constraint_name(table, constraint["name"].get<std::string>());
		definitions.push_back(table_constraint_sql(constraint, table, target));
		if (constraint["type"] == "primary_key")
			for (const auto &column : constraint["columns"])
				table.primary_key.push_back(column.get<std::string>());
	}

	std::string qualified = quote_qualified(context.schema, name);
	std::string create = "CREATE TABLE " + qualified + " (";
	for (std::size_t i = 0; i < definitions.size(); i++)
		create += (i == 0 ? "\n  " : ",\n  ") + definitions[i];
	plan.start.push_back(create + "\n)");

	for (const auto &column : body["columns"])
		if (column.contains("comment"))
			plan.start.push_back("COMMENT ON COLUMN " + qualified + "." + quote_ident(column["name"].get<std::string>()) +
			                     " IS " + quote_literal(column["comment"].get<std::string>()));
	if (body.contains("comment"))
		plan.start.push_back("COMMENT ON TABLE " + qualified + " IS " + quote_literal(body["comment"].get<std::string>()));

	plan.rollback.push_back("DROP TABLE IF EXISTS " + qualified);
	context.virt.add_table(std::move(table));
}

}  // namespace pgshift
