// rename_constraint, set_replica_identity and sql: operations that change no column.
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

void plan_rename_constraint(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const std::string from = body.at("from").get<std::string>();
	const std::string to = body.at("to").get<std::string>();
	check_identifier(to, "constraint name");
	if (table.constraint_names.count(from) == 0)
		throw Error(sqlstate::undefined_object, "constraint \"" + from + "\" does not exist on table \"" + table.name + "\"");
	if (table.constraint_names.count(to) > 0)
		throw Error(sqlstate::duplicate_object, "constraint \"" + to + "\" already exists on table \"" + table.name + "\"");
	plan.complete_last.push_back("ALTER TABLE " + quote_qualified(context.schema, table.physical) +
	                             " RENAME CONSTRAINT " + quote_ident(from) + " TO " + quote_ident(to));
	table.constraint_names.erase(from);
	table.constraint_names.insert(to);
}

void plan_set_replica_identity(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const json &identity = body.at("identity");
	const std::string type = to_upper(identity.at("type").get<std::string>());
	const std::string qualified = quote_qualified(context.schema, table.physical);
	auto clause = [](const std::string &kind, const std::string &index) {
		return kind == "INDEX" ? "REPLICA IDENTITY USING INDEX " + quote_ident(index) : "REPLICA IDENTITY " + kind;
	};
	std::string index = identity.value("index", "");
	if (type == "INDEX" && (index.empty() || !context.virt.has_index(index)))
		throw Error(sqlstate::undefined_object, "index \"" + index + "\" does not exist in schema \"" + context.schema + "\"");
	plan.start.push_back("ALTER TABLE " + qualified + " " + clause(type, index));
	// Rollback restores the identity the table had (pgroll leaves the new one in place).
	if (table.catalog.is_object())
		plan.rollback.push_back("ALTER TABLE IF EXISTS " + qualified + " " +
		                        clause(table.catalog.value("replicaIdentity", "DEFAULT"),
		                               table.catalog.value("replicaIdentityIndex", "")));
}

void plan_raw_sql(const json &body, PlanningContext &, OperationPlan &plan)
{
	const std::string up = body.at("up").get<std::string>();
	const std::string down = body.value("down", "");
	if (up.empty())
		throw Error(sqlstate::invalid_migration, "a sql operation needs a non-empty \"up\"");
	if (body.value("onComplete", false)) {
		if (!down.empty())
			throw Error(sqlstate::invalid_migration, "\"down\" is not allowed with \"onComplete\"");
		plan.complete_after_renames.push_back(up);
	} else {
		plan.start.push_back(up);
		if (!down.empty())
			plan.rollback.push_back(down);
	}
	// Whatever the SQL did, the version schema is rebuilt from the catalog when the migration completes.
	plan.refresh_views_on_complete = true;
}

}  // namespace pgshift
