// drop_table and rename_table. drop_table renames the table aside at start (the old version's views
// follow it by OID, and its name is free for a create_table of the same migration), drops it at
// complete, and renames it back at rollback. rename_table changes nothing on disk until complete:
// the new version's view has the new name.
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

void plan_drop_table(const json &body, PlanningContext &context, OperationPlan &plan)
{
	const std::string name = body.at("name").get<std::string>();
	VirtualTable &table = existing_table(context, name);
	const std::string aside = std::string(internal_prefix) + "del_" + table.physical;
	check_identifier(aside, "table name with pgshift's prefix");
	plan.start.push_back("ALTER TABLE " + quote_qualified(context.schema, table.physical) + " RENAME TO " + quote_ident(aside));
	plan.complete.push_back("DROP TABLE IF EXISTS " + quote_qualified(context.schema, aside));
	plan.rollback.push_back("ALTER TABLE IF EXISTS " + quote_qualified(context.schema, aside) + " RENAME TO " +
	                        quote_ident(table.physical));
	context.virt.remove_table(name);
}

void plan_rename_table(const json &body, PlanningContext &context, OperationPlan &plan)
{
	const std::string from = body.at("from").get<std::string>();
	const std::string to = body.at("to").get<std::string>();
	VirtualTable &table = existing_table(context, from);
	check_identifier(to, "table name");
	if (context.virt.find_table(to) != nullptr)
		throw Error(sqlstate::duplicate_table, "table \"" + to + "\" already exists in schema \"" + context.schema + "\"");
	table.name = to;   // complete renames it with the other final renames (final_renames.hpp)
}

}  // namespace pgshift
