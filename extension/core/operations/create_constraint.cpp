// create_constraint: a unique, check, foreign key or primary key constraint over one or more
// columns. On an existing table the columns are duplicated (up/down per column) and the constraint
// is built on the twins: NOT VALID (check, foreign key) or as a unique index built concurrently
// (unique, primary key), then made real at complete. On a table created by the same migration no
// client uses the old shape, so the constraint is simply added.
#include <algorithm>

#include "core/column_duplication.hpp"
#include "core/constraint_sql.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

std::vector<std::string> string_list(const json &body, const char *key)
{
	std::vector<std::string> list;
	for (const auto &item : body.value(key, json::array()))
		list.push_back(item.get<std::string>());
	return list;
}

void check_create_constraint(const json &body, const VirtualTable &table, const std::vector<std::string> &columns,
                             bool duplicating)
{
	auto fail = [](const std::string &problem) { throw Error(sqlstate::invalid_migration, problem); };
	const std::string name = body.at("name").get<std::string>();
	const std::string type = body.at("type").get<std::string>();
	check_identifier(name, "constraint name");
	if (table.constraint_names.count(name) > 0)
		throw Error(sqlstate::duplicate_object, "constraint \"" + name + "\" already exists on table \"" + table.name + "\"");
	if (columns.empty())
		fail("a " + type + " constraint needs \"columns\"");
	for (const auto &column : columns) {
		if (table.find_column(column) == nullptr)
			throw Error(sqlstate::undefined_column, "column \"" + column + "\" does not exist in table \"" + table.name + "\"");
		if (duplicating && (!body["up"].contains(column) || !body["down"].contains(column)))
			fail("migration for column \"" + column + "\" in \"" + table.name + "\" is missing: give it an \"up\" and a \"down\"");
	}
	if (type == "check" && body.value("check", "").empty())
		fail("a check constraint needs a non-empty \"check\" expression");
	if (type != "check" && (body.contains("check") || body.value("no_inherit", false)))
		fail("\"check\" and \"no_inherit\" are only for check constraints");
	if (type == "foreign_key" && !body.contains("references"))
		fail("a foreign_key constraint needs \"references\"");
	if (type != "foreign_key" && body.contains("references"))
		fail("\"references\" is only for foreign_key constraints");
	if (type == "primary_key" && !table.primary_key.empty())
		fail("table \"" + table.name + "\" already has a primary key");
}

// INCLUDE / WITH / USING INDEX TABLESPACE of a unique index, from index_parameters.
std::string index_parameters_sql(const json &body, const VirtualTable &table)
{
	if (!body.contains("index_parameters"))
		return "";
	const json &params = body["index_parameters"];
	std::string sql;
	std::vector<std::string> include;
	for (const auto &column : string_list(params, "include_columns"))
		include.push_back(physical_column(table, column));
	if (!include.empty())
		sql += " INCLUDE (" + quote_ident_list(include) + ")";
	if (!params.value("storage_parameters", "").empty())
		sql += " WITH (" + params["storage_parameters"].get<std::string>() + ")";
	if (!params.value("tablespace", "").empty())
		sql += " TABLESPACE " + quote_ident(params["tablespace"].get<std::string>());
	return sql;
}

std::string foreign_key_target_sql(const json &references, PlanningContext &context, const std::string &set_columns)
{
	const VirtualTable &referenced = ReferenceTarget{context, nullptr}.table(references.at("table").get<std::string>());
	std::vector<std::string> columns;
	for (const auto &column : string_list(references, "columns"))
		columns.push_back(physical_column(referenced, column));
	return " REFERENCES " + quote_qualified(context.schema, referenced.physical) + " (" + quote_ident_list(columns) +
	       ") MATCH " + to_upper(references.value("match_type", "SIMPLE")) + " ON DELETE " +
	       to_upper(references.value("on_delete", "NO ACTION")) + set_columns + " ON UPDATE " +
	       to_upper(references.value("on_update", "NO ACTION"));
}

}  // namespace

void plan_create_constraint(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const std::vector<std::string> columns = string_list(body, "columns");
	const bool new_table = !table.catalog.is_object();
	check_create_constraint(body, table, columns, !new_table);
	const std::string name = body["name"].get<std::string>();
	const std::string type = body["type"].get<std::string>();
	const std::string qualified = quote_qualified(context.schema, table.physical);
	const std::string alter = "ALTER TABLE " + qualified + " ";

	// The columns the constraint is built on: the twins, or the columns of a new table.
	std::map<std::string, std::string> physical;
	if (new_table) {
		for (const auto &column : columns)
			physical[column] = physical_column(table, column);
	} else {
		std::vector<DuplicationRequest> requests;
		for (const auto &column : columns) {
			DuplicationRequest request;
			request.column = column;
			request.up = body["up"][column].get<std::string>();
			request.down = body["down"][column].get<std::string>();
			requests.push_back(request);
		}
		auto twins = duplicate_columns(context, table, requests, plan);
		for (std::size_t i = 0; i < columns.size(); i++)
			physical[columns[i]] = twins[i].physical;
	}
	std::vector<std::string> targets;
	for (const auto &column : columns)
		targets.push_back(physical[column]);
	std::string target_list = quote_ident_list(targets);

	if (type == "check") {
		std::string check = rename_columns(body["check"].get<std::string>(), physical, context.parser);
		plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(name) + " CHECK (" + check + ")" +
		                     (body.value("no_inherit", false) ? " NO INHERIT" : "") + (new_table ? "" : " NOT VALID"));
		if (!new_table)
			plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(name));
	} else if (type == "foreign_key") {
		const json &references = body["references"];
		if (string_list(references, "columns").size() != columns.size())
			throw Error(sqlstate::invalid_migration, "foreign key has " + std::to_string(columns.size()) +
			                                             " columns but references " +
			                                             std::to_string(string_list(references, "columns").size()));
		std::vector<std::string> set_columns;
		for (const auto &column : string_list(references, "on_delete_set_columns")) {
			if (physical.count(column) == 0)
				throw Error(sqlstate::invalid_migration, "on_delete_set_columns: \"" + column +
				                                             "\" is not one of the foreign key's columns");
			set_columns.push_back(physical[column]);
		}
		std::string target = foreign_key_target_sql(
		    references, context, set_columns.empty() ? "" : " (" + quote_ident_list(set_columns) + ")");
		plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(name) + " FOREIGN KEY (" + target_list + ")" + target +
		                     (new_table ? "" : " NOT VALID"));
		if (!new_table)
			plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(name));
	} else if (new_table) {
		plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(name) +
		                     (type == "unique" ? " UNIQUE (" : " PRIMARY KEY (") + target_list + ")" +
		                     index_parameters_sql(body, table));
	} else {
		// Unique and primary key: a unique index built concurrently, turned into the constraint at complete.
		plan.concurrent.push_back({"CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(name) + " ON " + qualified + " (" +
		                               target_list + ")" + index_parameters_sql(body, table),
		                           "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(context.schema, name)});
		if (type == "primary_key") {
			// A primary key needs NOT NULL columns; a validated check lets SET NOT NULL skip its scan.
			for (const auto &column : columns) {
				std::string check = std::string(internal_prefix) + "check_pk_not_null_" + column;
				check_identifier(check, "constraint name with pgshift's prefix");
				plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(check) + " CHECK (" +
				                     quote_ident(physical[column]) + " IS NOT NULL) NOT VALID");
				plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(check));
				plan.complete.push_back(alter + "ALTER COLUMN " + quote_ident(physical[column]) + " SET NOT NULL");
				plan.complete.push_back(alter + "DROP CONSTRAINT " + quote_ident(check));
			}
		}
		plan.complete.push_back(alter + "ADD CONSTRAINT " + quote_ident(name) +
		                        (type == "unique" ? " UNIQUE" : " PRIMARY KEY") + " USING INDEX " + quote_ident(name));
	}
	table.constraint_names.insert(name);
	if (type == "primary_key")
		table.primary_key = columns;
}

}  // namespace pgshift
