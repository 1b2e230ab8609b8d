// create_index and drop_index. create_index builds the index CONCURRENTLY in the worker after start
// (on a table the same migration creates or rebuilds, nobody writes to it yet: it is built at start); rollback
// drops it. drop_index drops the index at complete. pgshift extends pgroll's format with expression
// elements ({"expression": "lower(email)"}) and "include": [columns] (docs/format-extensions.md).
#include <set>

#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/partition_sql.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

const VirtualColumn &index_column(const VirtualTable &table, const std::string &column)
{
	const VirtualColumn *virt = table.find_column(column);
	if (virt == nullptr)
		throw Error(sqlstate::undefined_column, "column \"" + column + "\" does not exist in table \"" + table.name + "\"");
	return *virt;
}

// An SQL expression over the table's columns as the new version names them, on its physical columns.
// Every column it names must exist (the index is built later, by the worker: an error there would
// come long after start said yes).
std::string index_expression_sql(const std::string &expression, const VirtualTable &table, const ExpressionParser &parser)
{
	for (const auto &reference : parser.column_references(expression))
		index_column(table, reference.name);
	return "(" + rename_columns(expression, table.physical_names(), parser) + "\n)";   // (a trailing -- comment stays inside)
}

// One element: "col" or (expression) [COLLATE c] [opclass [(params)]] [ASC|DESC] [NULLS FIRST|LAST].
std::string index_element_sql(const json &field, const VirtualTable &table, const ExpressionParser &parser)
{
	const bool by_column = field.contains("column"), by_expression = field.contains("expression");
	if (by_column == by_expression)
		throw Error(sqlstate::invalid_migration, "an index element needs exactly one of \"column\" and \"expression\"",
		            "\"expression\" (a pgshift extension of the format) indexes an SQL expression, e.g. "
		            "{\"expression\": \"lower(email)\"}.");
	std::string sql = by_column ? quote_ident(index_column(table, field["column"].get<std::string>()).physical)
	                            : index_expression_sql(field["expression"].get<std::string>(), table, parser);
	if (!field.value("collate", "").empty())
		sql += " COLLATE " + quote_ident(field["collate"].get<std::string>());
	if (field.contains("opclass") && !field["opclass"].value("name", "").empty()) {
		sql += " " + field["opclass"]["name"].get<std::string>();
		std::string params;
		for (const auto &param : field["opclass"].value("params", json::array()))
			params += (params.empty() ? "" : ", ") + param.get<std::string>();
		if (!params.empty())
			sql += " (" + params + ")";
	}
	if (!field.value("sort", "").empty())
		sql += " " + to_upper(field["sort"].get<std::string>());
	if (field.contains("nulls"))
		sql += " NULLS " + to_upper(field["nulls"].get<std::string>());
	return sql;
}

}  // namespace

void plan_create_index(const json &body, PlanningContext &context, OperationPlan &plan)
{
	const std::string name = body.at("name").get<std::string>();
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>(), OnRebuilt::change_the_rebuild);
	check_identifier(name, "index name");
	if (context.virt.has_index(name))
		throw Error(sqlstate::duplicate_table, "index \"" + name + "\" already exists in schema \"" + context.schema + "\"");
	if (body.at("columns").empty())
		throw Error(sqlstate::invalid_migration, "an index needs at least one column");
	std::string elements;
	std::set<std::string> covered;
	for (const auto &field : body["columns"]) {
		elements += (elements.empty() ? "" : ", ") + index_element_sql(field, table, context.parser);
		if (field.contains("column"))
			covered.insert(index_column(table, field["column"].get<std::string>()).physical);
		else
			for (const auto &reference : context.parser.column_references(field["expression"].get<std::string>()))
				covered.insert(index_column(table, reference.name).physical);
	}
	std::string included;
	for (const auto &column : body.value("include", json::array())) {
		included += (included.empty() ? "" : ", ") + quote_ident(index_column(table, column.get<std::string>()).physical);
		covered.insert(index_column(table, column.get<std::string>()).physical);
	}

	const bool new_table = !table.catalog.is_object();
	// Everything after "ON": the same for the index and, on a partitioned table, for each partition's.
	std::string definition;
	if (!body.value("method", "").empty())
		definition += " USING " + quote_ident(body["method"].get<std::string>());
	definition += " (" + elements + ")";
	if (!included.empty())
		definition += " INCLUDE (" + included + ")";
	if (!body.value("storage_parameters", "").empty())
		definition += " WITH (" + body["storage_parameters"].get<std::string>() + ")";
	if (!body.value("predicate", "").empty())
		definition += " WHERE " + rename_columns(body["predicate"].get<std::string>(), table.physical_names(), context.parser);
	const std::string create = std::string("CREATE ") + (body.value("unique", false) ? "UNIQUE " : "") + "INDEX ";

	const std::string qualified_index = quote_qualified(context.schema, name);
	if (new_table || table.rebuilt) {
		// Nobody reads the table yet (a rebuild is filled after start: its copy keeps the index).
		plan.start.push_back(create + quote_ident(name) + " ON " + quote_qualified(context.schema, table.physical) + definition);
	} else if (table.partitioned) {
		// PostgreSQL builds no index on a partitioned table CONCURRENTLY. The parent's index is made
		// at start ON ONLY the parent (invalid, no data); the worker builds each partition's
		// CONCURRENTLY and attaches it, and the last attach makes the parent's valid. A partition made
		// later gets the index from PostgreSQL itself.
		if (table.sub_partitioned)
			throw Error(sqlstate::feature_not_supported,
			            "table \"" + table.name + "\" has partitions that are partitioned themselves: pgshift cannot build "
			            "an index on it without a long lock yet",
			            "Use a raw \"sql\" operation (CREATE INDEX takes a SHARE lock on every partition while it builds).");
		plan.start.push_back(create + quote_ident(name) + " ON ONLY " + quote_qualified(context.schema, table.physical) +
		                     definition);
		// Rollback drops the partitions' indexes by name: a name some relation has already would
		// make it drop that instead.
		for (const auto &partition : table.partitions) {
			const std::string child = partition_index_name(partition, name);
			bool taken = context.virt.has_index(child) || context.virt.find_table(child) != nullptr;
			for (const auto &entry : table.partition_catalogs) {
				taken = taken || entry.value("name", "") == child;
				for (const auto &index : entry.value("indexes", json::object()))
					taken = taken || index.value("name", "") == child;
			}
			if (taken)
				throw Error(sqlstate::duplicate_table,
				            "the index of partition \"" + partition + "\" would be named \"" + child +
				                "\", which a relation of schema \"" + context.schema + "\" has already",
				            "Give the index another name.");
		}
		for (const auto &partition : table.partitions) {
			const std::string child = quote_qualified(context.schema, partition_index_name(partition, name));
			plan.concurrent.push_back({create + "CONCURRENTLY " + quote_ident(partition_index_name(partition, name)) + " ON " +
			                               quote_qualified(context.schema, partition) + definition,
			                           "DROP INDEX CONCURRENTLY IF EXISTS " + child});
			plan.concurrent.push_back({"ALTER INDEX " + qualified_index + " ATTACH PARTITION " + child, ""});
		}
	} else {
		plan.concurrent.push_back({create + "CONCURRENTLY " + quote_ident(name) + " ON " +
		                               quote_qualified(context.schema, table.physical) + definition,
		                           "DROP INDEX CONCURRENTLY IF EXISTS " + qualified_index});
	}
	plan.rollback.push_back("DROP INDEX IF EXISTS " + qualified_index);   // with the partitions' indexes attached to it
	if (!new_table && !table.rebuilt && table.partitioned)
		for (const auto &partition : table.partitions)
			plan.rollback.push_back("DROP INDEX IF EXISTS " + quote_qualified(context.schema, partition_index_name(partition, name)));
	context.virt.add_index(name);
	table.new_indexes.emplace_back(name, covered);
}

void plan_drop_index(const json &body, PlanningContext &context, OperationPlan &plan)
{
	const std::string name = body.at("name").get<std::string>();
	if (!context.virt.has_index(name))
		throw Error(sqlstate::undefined_object, "index \"" + name + "\" does not exist in schema \"" + context.schema + "\"");
	plan.complete.push_back("DROP INDEX IF EXISTS " + quote_qualified(context.schema, name));
	context.virt.remove_index(name);
}

}  // namespace pgshift
