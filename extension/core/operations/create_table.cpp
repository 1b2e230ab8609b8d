// create_table: the table is created under its final name at start (only the new version's views
// show it), nothing happens at complete, and rollback drops it. With pgshift's "partition_by" and
// "partitions", it is a partitioned table and its partitions are made with it.
#include <set>

#include "core/column_sql.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/partition_sql.hpp"
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

// PostgreSQL requires a partitioned table's primary key to contain the partition key; say so before
// start rather than let the CREATE TABLE fail.
void check_key_covers_partitioning(const VirtualTable &table, const json &partition_by)
{
	if (table.primary_key.empty())
		return;
	const std::string missing = partition_column_outside(partition_by, table.primary_key);
	if (!missing.empty())
		throw Error(sqlstate::invalid_migration,
		            "the primary key of partitioned table \"" + table.name + "\" must include partition key column \"" +
		                missing + "\"",
		            "PostgreSQL enforces a key on a partitioned table partition by partition: add the column to the key.");
}

// CREATE TABLE ... PARTITION OF for each of the migration's partitions, in its order.
std::vector<std::string> partitions_sql(const json &body, VirtualTable &table, const std::string &schema,
                                        const ExpressionParser &parser)
{
	const json partitions = body.value("partitions", json::array());
	if (!body.contains("partition_by")) {
		if (!partitions.empty())
			throw Error(sqlstate::invalid_migration, "\"partitions\" given without \"partition_by\"",
			            "Say how the table is partitioned: \"partition_by\": {\"strategy\": \"list\", \"columns\": [...]}.");
		return {};
	}
	for (const auto &partition : partitions)
		table.partitions.push_back(partition.at("name").get<std::string>());
	return partitions_of_sql(partitions, schema, table.physical, body["partition_by"]["strategy"].get<std::string>(),
	                         parser, {table.name});
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
	create += "\n)";
	if (body.contains("partition_by")) {
		check_key_covers_partitioning(table, body["partition_by"]);
		create += " " + partition_by_sql(body["partition_by"], table);
		table.partitioned = true;
	}
	plan.start.push_back(create);
	for (const auto &partition : partitions_sql(body, table, context.schema, context.parser))
		plan.start.push_back(partition);

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
