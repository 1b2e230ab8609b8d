#include "core/planner.hpp"


#include <map>

#include "core/final_renames.hpp"
#include "core/primary_key_swap.hpp"
#include "core/rebuild_foreign_keys.hpp"
#include "core/error.hpp"
#include "core/migration_format.hpp"
#include "core/operation_plan.hpp"
#include "core/pinned_block.hpp"
#include "core/sql_text.hpp"
#include "core/version_views.hpp"

namespace pgshift {

namespace {

OperationPlanner planner_for(const std::string &kind)
{
	static const std::map<std::string, OperationPlanner> *const planners =
	    new std::map<std::string, OperationPlanner>{{"create_table", plan_create_table}, {"add_column", plan_add_column},
	                                                {"rename_column", plan_rename_column}, {"drop_column", plan_drop_column},
	                                                {"alter_column", plan_alter_column},
	                                                {"create_constraint", plan_create_constraint},
	                                                {"drop_constraint", plan_drop_constraint},
	                                                {"drop_multicolumn_constraint", plan_drop_multicolumn_constraint},
	                                                {"drop_table", plan_drop_table},
	                                                {"rename_table", plan_rename_table},
	                                                {"create_index", plan_create_index},
	                                                {"drop_index", plan_drop_index},
	                                                {"rename_constraint", plan_rename_constraint},
	                                                {"set_replica_identity", plan_set_replica_identity},
	                                                {"sql", plan_raw_sql},
	                                                {"create_partition", plan_create_partition},
	                                                {"detach_partition", plan_detach_partition},
	                                                {"rebuild_table", plan_rebuild_table}};
	auto found = planners->find(kind);
	if (found == planners->end())
		throw Error(sqlstate::feature_not_supported, "operation \"" + kind + "\" is not supported yet");
	return found->second;
}

// `operations[2] (create_table "users")`: how messages and statements name an operation.
std::string operation_label(std::size_t index, const json &operation)
{
	std::string label = "operations[" + std::to_string(index) + "] (" + operation_kind(operation);
	const json &body = operation_body(operation);
	for (const char *key : {"name", "table", "from"})
		if (body.contains(key) && body[key].is_string()) {
			label += " \"" + body[key].get<std::string>() + "\"";
			break;
		}
	return label + ")";
}

void append_steps(json &steps, const std::vector<Statement> &statements, const std::string &label,
                  const std::vector<std::string> &also_skip_on = {})
{
	for (const auto &statement : statements) {
		json step{{"sql", statement.sql}, {"op", label}};
		std::vector<std::string> skip_on = statement.skip_on;
		skip_on.insert(skip_on.end(), also_skip_on.begin(), also_skip_on.end());
		if (!skip_on.empty())
			step["skip_on"] = skip_on;
		steps.push_back(step);
	}
}

// Rollback undoes what start made; what is gone already (a table dropped outside pgshift during the
// migration, and everything on it) needs no undoing. Raw SQL's own `down` gets no such leniency.
const std::vector<std::string> gone_already = {"42P01", "42703", "42704"};   // undefined table, column, object

// The renames that give the columns of every table the new version shows their final names, after
// every other complete step (which name them as they are on disk during the migration).
std::vector<Statement> final_column_renames(const std::string &schema, const VirtualSchema &virt)
{
	std::vector<Statement> renames;
	for (const auto &table : virt.tables()) {
		std::vector<std::pair<std::string, std::string>> columns;
		for (const auto &column : table.columns)
			columns.emplace_back(column.physical, column.name);
		for (const auto &rename : order_renames(columns))
			renames.push_back("ALTER TABLE " + quote_qualified(schema, table.physical) + " RENAME COLUMN " +
			                  quote_ident(rename.from) + " TO " + quote_ident(rename.to));
	}
	return renames;
}

// Then the tables take their final names, after every step that names them as they are on disk.
std::vector<Statement> final_table_renames(const std::string &schema, const VirtualSchema &virt)
{
	std::vector<std::pair<std::string, std::string>> tables;
	for (const auto &table : virt.tables())
		tables.emplace_back(table.physical, table.name);
	std::vector<Statement> renames;
	for (const auto &rename : order_renames(tables))
		renames.push_back("ALTER TABLE " + quote_qualified(schema, rename.from) + " RENAME TO " + quote_ident(rename.to));
	return renames;
}

// Worker jobs: statements run outside any transaction, each with the statement that undoes a
// half-done attempt (null: none).
void append_jobs(json &jobs, const std::vector<ConcurrentStep> &steps, const std::string &label)
{
	for (const auto &job : steps)
		jobs.push_back(json{{"kind", "sql"},
		                    {"statement", job.statement},
		                    {"cleanup", job.cleanup.empty() ? json() : json(job.cleanup)},
		                    {"optional", job.optional},
		                    {"op", label}});
}

std::string migration_name(const json &migration)
{
	if (!migration.contains("name") || migration["name"].get<std::string>().empty())
		throw Error(sqlstate::invalid_migration, "invalid migration: it has no \"name\"",
		            "Give the migration a \"name\" (the CLI uses the file name).");
	return migration["name"].get<std::string>();
}

// The tables an operation names (for drop_index, whose body names only the index: none).
std::vector<std::string> tables_named(const std::string &kind, const json &body)
{
	std::vector<const char *> fields{"table"};
	if (kind == "create_table" || kind == "drop_table")
		fields = {"name"};
	else if (kind == "rename_table")
		fields = {"from", "to"};
	std::vector<std::string> names;
	for (const char *field : fields)
		if (body.contains(field) && body[field].is_string())
			names.push_back(body[field].get<std::string>());
	return names;
}

// Complete makes the new version's views again after raw SQL's onComplete (refresh_views), so it
// locks them: first, before any table, in the order in which the new version's clients lock them
// (a view, then its table). Locked later, a client that holds the view and waits for the table
// would hold complete off until its lock timeout, at every retry.
Statement lock_version_views_sql(const std::string &version_schema, const VirtualSchema &virt)
{
	std::string names = "ARRAY[";
	for (std::size_t i = 0; i < virt.tables().size(); i++)
		names += (i == 0 ? "" : ", ") + quote_literal(virt.tables()[i].name);
	names += "]::pg_catalog.text[]";
	if (virt.tables().empty())
		names = "'{}'::pg_catalog.text[]";
	return pinned_do_block("    view_name text;\n",
	                       "        FOREACH view_name IN ARRAY " + names + " LOOP\n"
	                       "            IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', " + quote_literal(version_schema) +
	                           ", view_name)) IS NOT NULL THEN\n"
	                       "                EXECUTE pg_catalog.format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', " +
	                           quote_literal(version_schema) + ", view_name);\n"
	                       "            END IF;\n"
	                       "        END LOOP;");
}

}  // namespace

json plan_start(const std::string &schema, const json &migration, const json &catalog, const json &context,
                const ExpressionParser &parser)
{
	check_migration_format(migration);
	const std::string name = migration_name(migration);
	const std::string version_schema = schema + "_" + migration.value("version_schema", name);
	check_identifier(version_schema, "version schema name");

	VirtualSchema virt = VirtualSchema::from_catalog(catalog);
	const VirtualSchema before = virt;
	DualWritePlan dual_writes;
	std::string previous_version, pending_version;
	if (context.contains("previous_version") && context["previous_version"].is_string())
		previous_version = context["previous_version"].get<std::string>();
	if (context.contains("pending_version") && context["pending_version"].is_string())
		pending_version = context["pending_version"].get<std::string>();
	PlanningContext planning{schema, virt, parser, version_schema, previous_version, before, dual_writes};
	json start = json::array(), complete = json::array(), complete_last = json::array(), after_renames = json::array(),
	     jobs = json::array();
	std::vector<std::pair<std::string, std::vector<Statement>>> rollbacks;
	std::vector<bool> rollback_is_raw_sql;
	json dropped_columns = json::array();
	bool refresh_views = false;
	std::vector<std::pair<ConcurrentStep, std::string>> after_backfill;
	json rebuild_jobs = json::array();

	const json &operations = migration["operations"];
	// Raw SQL run at start may change anything: it stands alone, and the new version's views are then
	// built from the catalog as the SQL left it.
	bool raw_sql_at_start = false;
	for (const auto &operation : operations)
		raw_sql_at_start = raw_sql_at_start ||
		                   (operation_kind(operation) == "sql" && !operation_body(operation).value("onComplete", false));
	if (raw_sql_at_start && operations.size() > 1)
		throw Error(sqlstate::invalid_migration, "operation \"sql\" cannot be executed with other operations",
		            "Put it in a migration of its own, or give it \"onComplete\": true.");
	for (std::size_t i = 0; i < operations.size(); i++) {
		std::string label = operation_label(i, operations[i]);
		OperationPlan plan;
		try {
			planner_for(operation_kind(operations[i]))(operation_body(operations[i]), planning, plan);
		} catch (const Error &error) {
			throw Error(error.code(), label + ": " + error.what(), error.hint());
		}
		// What each operation names: rebuild_table refuses a table an earlier operation changed.
		for (const auto &name : tables_named(operation_kind(operations[i]), operation_body(operations[i])))
			planning.touched_tables.insert(name);
		append_steps(start, plan.start, label);
		append_steps(complete, plan.complete, label);
		append_steps(complete_last, plan.complete_last, label);
		append_steps(after_renames, plan.complete_after_renames, label);
		append_jobs(jobs, plan.concurrent, label);
		for (const auto &job : plan.after_backfill)
			after_backfill.emplace_back(job, label);
		for (json job : plan.rebuild_jobs) {
			job["op"] = label;
			rebuild_jobs.push_back(std::move(job));
		}
		rollbacks.emplace_back(label, plan.rollback);
		rollback_is_raw_sql.push_back(operation_kind(operations[i]) == "sql");
		for (const auto &column : plan.dropped_columns)
			dropped_columns.push_back(json::array({column.first, column.second}));
		refresh_views = refresh_views || plan.refresh_views_on_complete;
	}
	dual_writes.check_supported();
	check_rebuilt_references(planning);
	// Triggers go in after every operation's DDL, and out before anything else at complete or rollback.
	std::vector<Statement> create_triggers, drop_triggers;
	// The version opens when the worker's backfills and rebuild copies are done (the SQL side makes
	// it pending when the plan has a job of kind backfill, which both are).
	const bool opens_later = dual_writes.has_backfill() || !rebuild_jobs.empty();
	dual_writes.emit(schema, version_schema, previous_version, opens_later ? pending_version : std::string(),
	                 create_triggers, drop_triggers, jobs);
	const PrimaryKeySwaps key_swaps = plan_primary_key_swaps(schema, virt, before);
	for (auto &job : rebuild_jobs)
		jobs.push_back(job);
	for (const auto &[job, label] : after_backfill)
		append_jobs(jobs, {job}, label);
	append_jobs(jobs, key_swaps.jobs, "primary keys");
	append_steps(start, key_swaps.start, "primary keys");
	append_steps(start, create_triggers, "dual-write triggers");
	json rollback = json::array(), contract = json::array();
	if (refresh_views)
		append_steps(contract, {lock_version_views_sql(version_schema, virt)}, "version views");
	// A rebuilt table and its rebuild first, in the order the old version's writers take them (the
	// table, then the rebuild through the mirror), before the rebuild's triggers go.
	for (const auto &table : virt.tables())
		if (table.rebuilt)
			append_steps(rollback,
			             {"LOCK TABLE " + quote_qualified(schema, table.catalog.value("name", "")) + ", " +
			              quote_qualified(schema, table.physical) + " IN ACCESS EXCLUSIVE MODE"},
			             "rebuild_table \"" + table.name + "\"", gone_already);
	append_steps(rollback, drop_triggers, "dual-write triggers", gone_already);
	append_steps(rollback, key_swaps.rollback_first, "primary keys", gone_already);
	append_steps(contract, drop_triggers, "dual-write triggers");
	append_steps(contract, key_swaps.complete_first, "primary keys");
	for (auto &step : complete)
		contract.push_back(step);
	append_steps(contract, key_swaps.complete, "primary keys");
	append_steps(contract, final_column_renames(schema, virt), "column renames");
	for (auto &step : complete_last)
		contract.push_back(step);
	append_steps(contract, final_table_renames(schema, virt), "table renames");
	for (auto &step : after_renames)
		contract.push_back(step);
	for (std::size_t i = rollbacks.size(); i-- > 0;)
		append_steps(rollback, rollbacks[i].second, rollbacks[i].first,
		             rollback_is_raw_sql[i] ? std::vector<std::string>{} : gone_already);

	return json{{"name", name},
	            {"version_schema", version_schema},
	            {"start", start},
	            {"complete", contract},
	            {"jobs", jobs},
	            {"rollback", rollback},
	            {"overlay", raw_sql_at_start ? json::object() : views_overlay(virt)},
	            {"undo_by_snapshot", raw_sql_at_start && operation_body(operations[0]).value("down", "").empty()},
	            {"refresh_views", refresh_views},
	            {"dual_write_tables", dual_writes.tables()},
	            {"dropped_columns", dropped_columns},
	            {"repointed_foreign_keys", key_swaps.repointed}};
}

}  // namespace pgshift
