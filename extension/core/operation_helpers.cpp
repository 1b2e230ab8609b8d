// Small lookups every operation planner needs.
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/pinned_block.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

VirtualTable &existing_table(PlanningContext &context, const std::string &name, OnRebuilt on_rebuilt)
{
	VirtualTable *table = context.virt.find_table(name);
	if (table == nullptr)
		throw Error(sqlstate::undefined_table, "table \"" + name + "\" does not exist in schema \"" + context.schema + "\"");
	if (table->rebuilt && on_rebuilt == OnRebuilt::refuse)
		throw Error(sqlstate::feature_not_supported,
		            "table \"" + name + "\" is rebuilt by this migration: pgshift can combine only column and index "
		            "operations with rebuild_table yet",
		            "Make this change in a migration of its own, before or after the rebuild.");
	return *table;
}

void build_index(OperationPlan &plan, const PlanningContext &context, const VirtualTable &table, const std::string &create,
                 const std::string &name, const std::string &definition, bool optional)
{
	const std::string on = " ON " + quote_qualified(context.schema, table.physical);
	if (table.rebuilt) {
		const std::string statement = create + " " + quote_ident(name) + on + definition;
		if (!optional) {
			plan.start.push_back(statement);
			return;
		}
		// Left out with a warning, as the worker would: in a subtransaction, so start goes on.
		plan.start.push_back(pinned_do_block(
		    "", "        BEGIN\n            EXECUTE " + quote_literal(statement) +
		            ";\n        EXCEPTION WHEN OTHERS THEN\n            RAISE WARNING 'pgshift: index % is left out: %', " +
		            quote_literal(name) + ", SQLERRM;\n        END;\n"));
		return;
	}
	// A build interrupted by a crash leaves an invalid index: the retry drops it first.
	plan.concurrent.push_back({create + " CONCURRENTLY " + quote_ident(name) + on + definition,
	                           "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(context.schema, name), optional});
}

void refuse_unique_on_partitioned_rebuild(const VirtualTable &table, const std::string &what)
{
	if (table.rebuilt && table.partitioned)
		throw Error(sqlstate::feature_not_supported,
		            what + " of table \"" + table.name + "\", which this migration rebuilds partitioned: pgshift cannot make "
		            "a unique constraint on it yet",
		            "Make a unique index instead (create_index with \"unique\": true), or make the change in a migration of "
		            "its own.");
}

std::string new_column_name(const std::string &column)
{
	std::string name = std::string(internal_prefix) + "new_" + column;
	check_identifier(name, "column name with pgshift's prefix");
	return name;
}

}  // namespace pgshift
