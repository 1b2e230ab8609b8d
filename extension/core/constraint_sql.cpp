#include "core/constraint_sql.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

const VirtualTable &ReferenceTarget::table(const std::string &name) const
{
	if (being_created != nullptr && being_created->name == name)
		return *being_created;
	const VirtualTable *found = context.virt.find_table(name);
	if (found == nullptr)
		throw Error(sqlstate::undefined_table, "referenced table \"" + name + "\" does not exist in schema \"" +
		                                           context.schema + "\"");
	return *found;
}

std::string physical_column(const VirtualTable &table, const std::string &column)
{
	const VirtualColumn *found = table.find_column(column);
	if (found == nullptr)
		throw Error(sqlstate::undefined_column,
		            "column \"" + column + "\" does not exist in table \"" + table.name + "\"");
	return found->physical;
}

namespace {

std::vector<std::string> strings(const json &object, const char *key)
{
	std::vector<std::string> list;
	if (object.contains(key))
		for (const auto &item : object[key])
			list.push_back(item.get<std::string>());
	return list;
}

std::vector<std::string> physical_columns(const VirtualTable &table, const std::vector<std::string> &columns)
{
	std::vector<std::string> physical;
	for (const auto &column : columns)
		physical.push_back(physical_column(table, column));
	return physical;
}

std::string deferrable_sql(const json &object)
{
	if (!object.value("deferrable", false))
		return "";
	return object.value("initially_deferred", false) ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE INITIALLY IMMEDIATE";
}

std::string referential_actions_sql(const json &references, const std::string &delete_set_columns = "")
{
	return " MATCH " + to_upper(references.value("match_type", "SIMPLE")) + " ON DELETE " +
	       to_upper(references.value("on_delete", "NO ACTION")) + delete_set_columns + " ON UPDATE " +
	       to_upper(references.value("on_update", "NO ACTION"));
}

std::string index_parameters_sql(const VirtualTable &table, const json &constraint)
{
	if (!constraint.contains("index_parameters"))
		return "";
	const json &params = constraint["index_parameters"];
	std::string sql;
	auto include = strings(params, "include_columns");
	if (!include.empty())
		sql += " INCLUDE (" + quote_ident_list(physical_columns(table, include)) + ")";
	if (!params.value("storage_parameters", "").empty())
		sql += " WITH (" + params["storage_parameters"].get<std::string>() + ")";
	if (!params.value("tablespace", "").empty())
		sql += " USING INDEX TABLESPACE " + quote_ident(params["tablespace"].get<std::string>());
	return sql;
}

void require_deferrable_for_initially_deferred(const json &object, const std::string &label)
{
	if (object.value("initially_deferred", false) && !object.value("deferrable", false))
		throw Error(sqlstate::invalid_migration, label + ": initially_deferred needs deferrable: true");
}

}  // namespace

std::string column_check_sql(const json &check)
{
	check_identifier(check.at("name").get<std::string>(), "check constraint name");
	std::string sql = " CONSTRAINT " + quote_ident(check["name"].get<std::string>()) + " CHECK (" +
	                  check.at("constraint").get<std::string>() + ")";
	if (check.value("no_inherit", false))
		sql += " NO INHERIT";
	return sql;
}

std::string column_references_sql(const json &references, const ReferenceTarget &target)
{
	const std::string name = references.at("name").get<std::string>();
	check_identifier(name, "foreign key name");
	require_deferrable_for_initially_deferred(references, "foreign key \"" + name + "\"");
	const VirtualTable &table = target.table(references.at("table").get<std::string>());
	std::string column = physical_column(table, references.at("column").get<std::string>());
	return " CONSTRAINT " + quote_ident(name) + " REFERENCES " + quote_qualified(target.context.schema, table.physical) +
	       " (" + quote_ident(column) + ")" + referential_actions_sql(references) + deferrable_sql(references);
}

void check_table_constraint(const json &constraint, const VirtualTable &table, const ReferenceTarget &target,
                            const std::string &label)
{
	const std::string type = constraint.at("type").get<std::string>();
	auto fail = [&](const std::string &problem) {
		throw Error(sqlstate::invalid_migration, label + ": " + problem);
	};
	check_identifier(constraint.at("name").get<std::string>(), "constraint name");
	auto columns = strings(constraint, "columns");
	bool has_check = !constraint.value("check", "").empty();

	if (type != "check" && has_check)
		fail("\"check\" is only for check constraints");
	if (type != "check" && constraint.value("no_inherit", false))
		fail("\"no_inherit\" is only for check constraints");
	if (type != "unique" && constraint.value("nulls_not_distinct", false))
		fail("\"nulls_not_distinct\" is only for unique constraints");
	if (type != "foreign_key" && constraint.contains("references"))
		fail("\"references\" is only for foreign_key constraints");
	if (type != "exclude" && constraint.contains("exclude"))
		fail("\"exclude\" is only for exclude constraints");
	if ((type == "check" || type == "foreign_key") && constraint.contains("index_parameters"))
		fail("\"index_parameters\" is not for " + type + " constraints");
	require_deferrable_for_initially_deferred(constraint, label);

	if (type == "check") {
		if (!has_check)
			fail("a check constraint needs a non-empty \"check\" expression");
		if (constraint.value("deferrable", false))
			fail("check constraints cannot be deferrable");
	} else if (type == "exclude") {
		if (!constraint.contains("exclude") || constraint["exclude"].value("elements", "").empty())
			fail("an exclude constraint needs \"exclude\" with non-empty \"elements\"");
		if (!columns.empty())
			fail("an exclude constraint takes its columns from \"exclude.elements\", not \"columns\"");
	} else if (columns.empty()) {
		fail("a " + type + " constraint needs \"columns\"");
	}
	physical_columns(table, columns);  // every column must exist
	if (constraint.contains("index_parameters"))
		physical_columns(table, strings(constraint["index_parameters"], "include_columns"));

	if (type == "foreign_key") {
		if (!constraint.contains("references"))
			fail("a foreign_key constraint needs \"references\"");
		const json &references = constraint["references"];
		const VirtualTable &referenced = target.table(references.at("table").get<std::string>());
		auto referenced_columns = strings(references, "columns");
		physical_columns(referenced, referenced_columns);
		if (referenced_columns.size() != columns.size())
			fail("foreign key has " + std::to_string(columns.size()) + " columns but references " +
			     std::to_string(referenced_columns.size()));
		auto set_columns = strings(references, "on_delete_set_columns");
		if (!set_columns.empty()) {
			std::string action = to_upper(references.value("on_delete", "NO ACTION"));
			if (action != "SET NULL" && action != "SET DEFAULT")
				fail("on_delete_set_columns needs on_delete SET NULL or SET DEFAULT");
			for (const auto &column : set_columns)
				if (std::find(columns.begin(), columns.end(), column) == columns.end())
					fail("on_delete_set_columns: \"" + column + "\" is not one of the foreign key's columns");
		}
	}
}

std::string table_constraint_sql(const json &constraint, const VirtualTable &table, const ReferenceTarget &target)
{
	const std::string type = constraint.at("type").get<std::string>();
	std::string sql = "CONSTRAINT " + quote_ident(constraint.at("name").get<std::string>());
	std::string columns = quote_ident_list(physical_columns(table, strings(constraint, "columns")));

	if (type == "check") {
		std::string check = constraint.at("check").get<std::string>();
		// pgroll accepts a full `CHECK (...)` clause as well as a bare expression.
		sql += starts_with_ci(check, "CHECK") ? " " + check : " CHECK (" + check + ")";
		if (constraint.value("no_inherit", false))
			sql += " NO INHERIT";
		return sql;
	}
	if (type == "unique") {
		sql += " UNIQUE";
		if (constraint.value("nulls_not_distinct", false))
			sql += " NULLS NOT DISTINCT";
		sql += " (" + columns + ")" + index_parameters_sql(table, constraint);
	} else if (type == "primary_key") {
		sql += " PRIMARY KEY (" + columns + ")" + index_parameters_sql(table, constraint);
	} else if (type == "foreign_key") {
		const json &references = constraint.at("references");
		const VirtualTable &referenced = target.table(references.at("table").get<std::string>());
		std::string set_columns;
		auto on_delete_set = strings(references, "on_delete_set_columns");
		if (!on_delete_set.empty())
			set_columns = " (" + quote_ident_list(physical_columns(table, on_delete_set)) + ")";
		sql += " FOREIGN KEY (" + columns + ") REFERENCES " +
		       quote_qualified(target.context.schema, referenced.physical) + " (" +
		       quote_ident_list(physical_columns(referenced, strings(references, "columns"))) + ")" +
		       referential_actions_sql(references, set_columns);
	} else if (type == "exclude") {
		const json &exclude = constraint.at("exclude");
		std::string method = exclude.value("index_method", "");
		sql += " EXCLUDE" + (method.empty() ? "" : " USING " + quote_ident(method)) + " (" +
		       exclude.at("elements").get<std::string>() + ")" + index_parameters_sql(table, constraint);
		if (!exclude.value("predicate", "").empty())
			sql += " WHERE (" + exclude["predicate"].get<std::string>() + ")";
	}
	return sql + deferrable_sql(constraint);
}

}  // namespace pgshift
