// alter_column: type, nullable, default, comment, unique, check and references changes, alone or
// together. The column is duplicated (column_duplication.hpp); the changes apply to its twin, so the
// old version keeps the column as it was until complete.
#include <algorithm>

#include "core/column_duplication.hpp"
#include "core/constraint_sql.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

const char *const changes[] = {"type", "nullable", "default", "comment", "unique", "check", "references"};

void check_alter_column(const json &body, const VirtualTable &table, const VirtualColumn &column)
{
	bool any = false;
	for (const char *change : changes)
		any = any || body.contains(change);
	if (!any)
		throw Error(sqlstate::invalid_migration, "alter column \"" + column.name + "\" on table \"" + table.name +
		                                             "\" requires at least one change");
	// As pgroll validates: a change that existing values or old-version writes may violate needs the
	// expression that makes them fit (up), and one that writes through the new version needs the way
	// back (down).
	const bool has_up = !body.value("up", "").empty(), has_down = !body.value("down", "").empty();
	const std::string quoted = "column \"" + column.name + "\"";
	auto require = [&](const std::string &change, bool up, bool down) {
		if ((up && !has_up) || (down && !has_down))
			throw Error(sqlstate::invalid_migration,
			            change + " needs " +
			                (up && down ? "both \"up\" and \"down\"" : up ? "\"up\"" : "\"down\""),
			            "\"up\" computes the new column from an old-version row (and must satisfy the change); "
			            "\"down\" computes the old column from a new-version row.");
	};
	if (body.contains("type"))
		require("changing the type of " + quoted, true, true);
	if (body.contains("check"))
		require("adding a check constraint to " + quoted, true, true);
	if (body.contains("references"))
		require("adding a foreign key to " + quoted, true, true);
	if (body.contains("nullable") && !body["nullable"].get<bool>())
		require("making " + quoted + " NOT NULL", true, false);
	if (body.contains("nullable") && body["nullable"].get<bool>())
		require("making " + quoted + " nullable", false, true);
	if (body.contains("nullable") && !body["nullable"].get<bool>() && !column.nullable)
		throw Error(sqlstate::invalid_migration, "column \"" + column.name + "\" is already NOT NULL");
	if (body.contains("nullable") && body["nullable"].get<bool>() && column.nullable)
		throw Error(sqlstate::invalid_migration, "column \"" + column.name + "\" is already nullable");
	for (const char *kind : {"unique", "check", "references"})
		if (body.contains(kind)) {
			std::string name = body[kind].at("name").get<std::string>();
			check_identifier(name, std::string(kind) + " constraint name");
			if (table.constraint_names.count(name) > 0)
				throw Error(sqlstate::duplicate_object, "constraint \"" + name + "\" already exists on table \"" +
				                                            table.name + "\"");
		}
}

}  // namespace

void plan_alter_column(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>(), OnRebuilt::change_the_rebuild);
	const std::string name = body.at("column").get<std::string>();
	const VirtualColumn *column = table.find_column(name);
	if (column == nullptr)
		throw Error(sqlstate::undefined_column, "column \"" + name + "\" does not exist in table \"" + table.name + "\"");
	check_alter_column(body, table, *column);
	// The rebuild's copy and its mirror triggers find rows by the key as it is on disk.
	if (table.rebuilt && std::find(table.primary_key.begin(), table.primary_key.end(), name) != table.primary_key.end())
		throw Error(sqlstate::feature_not_supported,
		            "column \"" + name + "\" is in the key of table \"" + table.name +
		                "\", which this migration rebuilds: pgshift cannot alter it in the same migration yet",
		            "Alter it in a migration of its own, before or after the rebuild.");

	DuplicationRequest request;
	request.column = name;
	if (body.contains("type"))
		request.new_type = body["type"].get<std::string>();
	request.drop_not_null = body.contains("nullable") && body["nullable"].get<bool>();
	request.up = body.value("up", "");
	request.down = body.value("down", "");
	Duplicate twin = duplicate_columns(context, table, {request}, plan).front();

	const std::string alter = "ALTER TABLE " + twin.qualified + " ";
	const std::string twin_column = quote_ident(twin.physical);
	std::map<std::string, std::string> to_twin{{name, twin.physical}};
	if (body.contains("check")) {
		const json &check = body["check"];
		std::string constraint = quote_ident(check["name"].get<std::string>());
		plan.start.push_back(alter + "ADD CONSTRAINT " + constraint + " CHECK (" +
		                     rename_columns(check.at("constraint").get<std::string>(), to_twin, context.parser) + ")" +
		                     (check.value("no_inherit", false) ? " NO INHERIT" : "") + " NOT VALID");
		// Proved by the worker after the backfill (online); complete's VALIDATE then reads no rows.
		plan.after_backfill.push_back({alter + "VALIDATE CONSTRAINT " + constraint, ""});
		plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + constraint);
		table.constraint_names.insert(check["name"].get<std::string>());
	}
	if (body.contains("references")) {
		const json &references = body["references"];
		std::string clause = column_references_sql(references, ReferenceTarget{context, nullptr});
		std::string constraint = quote_ident(references["name"].get<std::string>());
		plan.start.push_back(alter + "ADD CONSTRAINT " + constraint + " FOREIGN KEY (" + twin_column + ")" +
		                     clause.substr(clause.find(" REFERENCES ")) + " NOT VALID");
		plan.after_backfill.push_back({alter + "VALIDATE CONSTRAINT " + constraint, ""});
		plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + constraint);
		table.constraint_names.insert(references["name"].get<std::string>());
	}
	if (body.contains("nullable") && !body["nullable"].get<bool>()) {
		std::string check = std::string(internal_prefix) + "check_not_null_" + name;
		check_identifier(check, "constraint name with pgshift's prefix");
		plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(check) + " CHECK (" + twin_column +
		                     " IS NOT NULL) NOT VALID");
		plan.after_backfill.push_back({alter + "VALIDATE CONSTRAINT " + quote_ident(check), ""});
		plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(check));
		plan.complete.push_back(alter + "ALTER COLUMN " + twin_column + " SET NOT NULL");
		plan.complete.push_back(alter + "DROP CONSTRAINT " + quote_ident(check));
		table.find_column(name)->nullable = false;
	}
	if (body.contains("unique")) {
		refuse_unique_on_partitioned_rebuild(table, "a unique constraint on column \"" + name + "\"");
		std::string index = body["unique"]["name"].get<std::string>();
		build_index(plan, context, table, "CREATE UNIQUE INDEX", index, " (" + twin_column + ")");
		plan.complete.push_back(alter + "ADD CONSTRAINT " + quote_ident(index) + " UNIQUE USING INDEX " + quote_ident(index));
		table.constraint_names.insert(index);
	}
	if (body.contains("default")) {
		if (body["default"].is_null())
			plan.start.push_back(alter + "ALTER COLUMN " + twin_column + " DROP DEFAULT");
		else
			plan.start.push_back(alter + "ALTER COLUMN " + twin_column + " SET DEFAULT " + body["default"].get<std::string>());
	}
	if (body.contains("comment"))
		plan.start.push_back("COMMENT ON COLUMN " + twin.qualified + "." + twin_column + " IS " +
		                     (body["comment"].is_null() ? "NULL" : quote_literal(body["comment"].get<std::string>())));
}

}  // namespace pgshift
