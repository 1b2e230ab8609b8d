// add_column: the column is added as _pgshift_new_<name>, visible under its name in the new
// version only. `up` fills it for rows written through the old version and for existing rows
// (backfill). NOT NULL without a cheap default is a NOT VALID check until complete; unique is an
// index built concurrently by the worker; check and foreign key are NOT VALID until complete.
// Complete promotes the constraints and the column takes its name; rollback drops the column.
#include "core/column_sql.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

bool is_serial_type(const std::string &type)
{
	std::string upper = to_upper(type);
	return upper == "SMALLSERIAL" || upper == "SERIAL" || upper == "BIGSERIAL" || upper == "SERIAL2" ||
	       upper == "SERIAL4" || upper == "SERIAL8";
}

void check_add_column(const json &body, const VirtualTable &table, const std::string &up)
{
	const json &column = body.at("column");
	check_column(column, "column");
	const std::string name = column["name"].get<std::string>();
	auto fail = [](const std::string &problem) { throw Error(sqlstate::invalid_migration, problem); };
	if (table.find_column(name) != nullptr)
		throw Error(sqlstate::duplicate_column,
		            "column \"" + name + "\" already exists in table \"" + table.name + "\"");
	if (column.value("pk", false))
		fail("adding primary key columns is not supported");
	if (column.contains("generated"))
		fail("adding generated or identity columns to existing tables is not supported: it rewrites the table");
	bool not_null = !column.value("nullable", false);
	if (not_null && !column.contains("default") && up.empty() && !is_serial_type(column["type"].get<std::string>()))
		throw Error(sqlstate::invalid_migration, "field \"up\" is required to add NOT NULL column \"" + name +
		                                             "\" without a default",
		            "Give \"up\" (the value for existing rows and old-version writes) or a \"default\".");
	if (column.contains("check"))
		check_identifier(column["check"]["name"].get<std::string>(), "check constraint name");
	for (const char *kind : {"check", "references"})
		if (column.contains(kind) && table.constraint_names.count(column[kind]["name"].get<std::string>()) > 0)
			throw Error(sqlstate::duplicate_object, "constraint \"" + column[kind]["name"].get<std::string>() +
			                                            "\" already exists on table \"" + table.name + "\"");
}

}  // namespace

void plan_add_column(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>(), OnRebuilt::change_the_rebuild);
	const json &column = body.at("column");
	const std::string up = body.value("up", "");
	check_add_column(body, table, up);

	const std::string name = column["name"].get<std::string>();
	const std::string type = column["type"].get<std::string>();
	const std::string physical = new_column_name(name);
	const std::string qualified = quote_qualified(context.schema, table.physical);
	const std::string alter = "ALTER TABLE " + qualified + " ";
	const bool not_null = !column.value("nullable", false);
	const bool has_default = column.contains("default");
	const std::string default_expr = has_default ? column["default"].get<std::string>() : "";
	// A volatile default would rewrite the table under an exclusive lock: it is applied by `up` for
	// existing rows and by the view for new ones, and set on the table at complete.
	const auto kind = has_default ? context.parser.default_kind(default_expr, type) : ExpressionParser::DefaultKind::stable;
	if (kind == ExpressionParser::DefaultKind::incompatible)
		throw Error(sqlstate::invalid_migration, "default \"" + default_expr + "\" cannot be assigned to column \"" + name +
		                                             "\" of type " + type);
	const bool volatile_default = kind == ExpressionParser::DefaultKind::volatile_;
	if (volatile_default && up != default_expr)
		throw Error(sqlstate::invalid_migration,
		            "volatile default expression for column \"" + name + "\"; \"up\" must be equal to \"default\"");

	std::string add = alter + "ADD COLUMN " + quote_ident(physical) + " " + type;
	if (has_default && !volatile_default)
		add += " DEFAULT " + default_expr + (not_null ? " NOT NULL" : "");
	plan.start.push_back(add);
	bool not_null_by_check = not_null && (!has_default || volatile_default);
	std::string not_null_check = std::string(internal_prefix) + "check_not_null_" + name;
	if (not_null_by_check) {
		check_identifier(not_null_check, "constraint name with pgshift's prefix");
		plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(not_null_check) + " CHECK (" +
		                     quote_ident(physical) + " IS NOT NULL) NOT VALID");
	}
	if (column.contains("comment"))
		plan.start.push_back("COMMENT ON COLUMN " + qualified + "." + quote_ident(physical) + " IS " +
		                     quote_literal(column["comment"].get<std::string>()));

	std::map<std::string, std::string> to_physical{{name, physical}};
	if (column.contains("check")) {
		const json &check = column["check"];
		std::string expression = rename_columns(check.at("constraint").get<std::string>(), to_physical, context.parser);
		plan.start.push_back(alter + "ADD CONSTRAINT " + quote_ident(check["name"].get<std::string>()) + " CHECK (" +
		                     expression + ")" + (check.value("no_inherit", false) ? " NO INHERIT" : "") + " NOT VALID");
		plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(check["name"].get<std::string>()));
		table.constraint_names.insert(check["name"].get<std::string>());
	}
	if (column.contains("references")) {
		const json &references = column["references"];
		ReferenceTarget target{context, nullptr};
		// The column clause `CONSTRAINT n REFERENCES ...` as a table constraint on the new column, NOT VALID.
		std::string clause = column_references_sql(references, target);
		std::string constraint = quote_ident(references["name"].get<std::string>());
		std::string after_name = clause.substr(clause.find(" REFERENCES "));
		plan.start.push_back(alter + "ADD CONSTRAINT " + constraint + " FOREIGN KEY (" + quote_ident(physical) + ")" +
		                     after_name + " NOT VALID");
		plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + constraint);
		table.constraint_names.insert(references["name"].get<std::string>());
	}
	std::string unique_index = std::string(internal_prefix) + "uniq_" + name;
	// Named after the table as it is called on disk once complete is done (a rebuild takes its name).
	std::string unique_constraint =
	    (table.rebuilt ? table.catalog.value("name", table.physical) : table.physical) + "_" + name + "_key";
	if (column.value("unique", false)) {
		refuse_unique_on_partitioned_rebuild(table, "a unique column \"" + name + "\"");
		check_identifier(unique_index, "index name with pgshift's prefix");
		check_identifier(unique_constraint, "unique constraint name");
		build_index(plan, context, table, "CREATE UNIQUE INDEX", unique_index, " (" + quote_ident(physical) + ")");
	}

	if (!up.empty()) {
		context.dual_writes.add(table, ColumnAssignment{"up", physical, up, table.column_map()});
		context.dual_writes.backfill(table, physical);
	}

	// Complete promotes its constraints; it takes its name with the other final renames
	// (final_renames.hpp), so that later operations of the migration may rename or drop it.
	if (not_null_by_check) {
		plan.complete.push_back(alter + "VALIDATE CONSTRAINT " + quote_ident(not_null_check));
		// A validated IS NOT NULL check lets SET NOT NULL skip its table scan.
		plan.complete.push_back(alter + "ALTER COLUMN " + quote_ident(physical) + " SET NOT NULL");
		plan.complete.push_back(alter + "DROP CONSTRAINT " + quote_ident(not_null_check));
	}
	if (column.value("unique", false))
		plan.complete.push_back(alter + "ADD CONSTRAINT " + quote_ident(unique_constraint) + " UNIQUE USING INDEX " +
		                        quote_ident(unique_index));
	if (volatile_default)
		plan.complete.push_back(alter + "ALTER COLUMN " + quote_ident(physical) + " SET DEFAULT " + default_expr);
	plan.rollback.push_back(alter + "DROP COLUMN IF EXISTS " + quote_ident(physical));

	VirtualColumn added = virtual_column(column, physical);
	if (volatile_default)
		added.view_default = default_expr;
	table.columns.push_back(added);
}

}  // namespace pgshift
