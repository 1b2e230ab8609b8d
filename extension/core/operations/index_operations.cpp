// create_index and drop_index. create_index builds the index CONCURRENTLY in the worker after start
// (on a table the same migration creates, nobody writes to it yet: it is built at start); rollback
// drops it. drop_index drops the index at complete.
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

// One element: "col" [COLLATE c] [opclass [(params)]] [ASC|DESC] [NULLS FIRST|LAST].
std::string index_element_sql(const json &field, const VirtualTable &table)
{
	const std::string column = field.at("column").get<std::string>();
	const VirtualColumn *virt = table.find_column(column);
	if (virt == nullptr)
		throw Error(sqlstate::undefined_column, "column \"" + column + "\" does not exist in table \"" + table.name + "\"");
	std::string sql = quote_ident(virt->physical);
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

std::map<std::string, std::string> physical_names(const VirtualTable &table)
{
	std::map<std::string, std::string> names;
	for (const auto &column : table.columns)
		names[column.name] = column.physical;
	return names;
}

}  // namespace

void plan_create_index(const json &body, PlanningContext &context, OperationPlan &plan)
{
	const std::string name = body.at("name").get<std::string>();
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	check_identifier(name, "index name");
	if (context.virt.has_index(name))
		throw Error(sqlstate::duplicate_table, "index \"" + name + "\" already exists in schema \"" + context.schema + "\"");
	if (body.at("columns").empty())
		throw Error(sqlstate::invalid_migration, "an index needs at least one column");
	std::string elements;
	for (const auto &field : body["columns"])
		elements += (elements.empty() ? "" : ", ") + index_element_sql(field, table);

	const bool new_table = !table.catalog.is_object();
	std::string sql = std::string("CREATE ") + (body.value("unique", false) ? "UNIQUE " : "") + "INDEX " +
	                  (new_table ? "" : "CONCURRENTLY ") + quote_ident(name) + " ON " +
	                  quote_qualified(context.schema, table.physical);
	if (!body.value("method", "").empty())
		sql += " USING " + quote_ident(body["method"].get<std::string>());
	sql += " (" + elements + ")";
	if (!body.value("storage_parameters", "").empty())
		sql += " WITH (" + body["storage_parameters"].get<std::string>() + ")";
	if (!body.value("predicate", "").empty())
		sql += " WHERE " + rename_columns(body["predicate"].get<std::string>(), physical_names(table), context.parser);

	const std::string qualified_index = quote_qualified(context.schema, name);
	if (new_table)
		plan.start.push_back(sql);
	else
		plan.concurrent.push_back({sql, "DROP INDEX CONCURRENTLY IF EXISTS " + qualified_index});
	plan.rollback.push_back("DROP INDEX IF EXISTS " + qualified_index);
	context.virt.add_index(name);
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
