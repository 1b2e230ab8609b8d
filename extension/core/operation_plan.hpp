// What one operation contributes to a migration: statements for start, complete and rollback.
#pragma once
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/dual_write_plan.hpp"
#include "core/statement.hpp"
#include "core/expression_columns.hpp"
#include "core/json.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

// A statement that cannot run inside a transaction block (the worker runs it at top level), with a
// statement that undoes a half-done earlier attempt, run first.
struct ConcurrentStep {
	std::string statement;
	std::string cleanup;
	bool optional = false;   // a failure is reported and skipped (an index copied onto a changed column)
};

struct OperationPlan {
	std::vector<Statement> start;
	std::vector<Statement> complete;
	std::vector<Statement> complete_last;   // constraint renames: after the final column renames, after every other operation's
	                                        // complete steps, which name columns as they are on disk
	std::vector<Statement> complete_after_renames;   // raw SQL's onComplete: last, when every column and table
	                                                 // has its final name, as the migration's earlier operations left them
	std::vector<Statement> rollback;  // run in this order; operations are undone last-first
	std::vector<ConcurrentStep> concurrent;  // run after start's transaction, outside any (by the worker)
	std::vector<ConcurrentStep> after_backfill;  // the same, once the backfills are done (checks they prove)
	std::vector<json> rebuild_jobs;   // worker jobs as planned (rebuild_table's copy), after every backfill
	bool refresh_views_on_complete = false;
	// Physical (table, column) pairs that complete drops: start refuses a migration whose complete
	// could not drop them (a view or a generated column of the user's depends on them).
	std::vector<std::pair<std::string, std::string>> dropped_columns;
};

// Everything an operation planner may look at or change.
struct PlanningContext {
	std::string schema;                // the managed schema, e.g. public
	VirtualSchema &virt;               // changed in place by each operation
	const ExpressionParser &parser;    // PostgreSQL's parser, for renaming columns inside expressions
	std::string new_version;           // the version schema start creates
	std::string previous_version;      // the version schema before it ("" when there is none)
	const VirtualSchema &before;       // the schema as the previous version sees it
	DualWritePlan &dual_writes;        // triggers and backfills the operations ask for
	std::set<std::string> touched_tables = {};   // tables the operations so far named (rebuild_table must come first)
};

// One planner per operation kind; each validates its body against the virtual schema, updates it,
// and fills the plan. Throws Error.
using OperationPlanner = void (*)(const json &body, PlanningContext &context, OperationPlan &plan);

void plan_create_table(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_add_column(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_rename_column(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_drop_column(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_alter_column(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_create_constraint(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_drop_constraint(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_drop_multicolumn_constraint(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_drop_table(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_rename_table(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_create_index(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_drop_index(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_rename_constraint(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_set_replica_identity(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_raw_sql(const json &body, PlanningContext &context, OperationPlan &plan);
void plan_create_partition(const json &body, PlanningContext &context, OperationPlan &plan);   // pgshift's extension
void plan_detach_partition(const json &body, PlanningContext &context, OperationPlan &plan);   // pgshift's extension
void plan_rebuild_table(const json &body, PlanningContext &context, OperationPlan &plan);      // pgshift's extension

// The table an operation names, or an undefined_table error. A table that rebuild_table moves to a
// new physical table is refused unless the operation is one that can change that new table
// (OnRebuilt::change_the_rebuild: column and index operations, which then act on the rebuild; see
// rebuild_table.cpp).
enum class OnRebuilt { refuse, change_the_rebuild };
VirtualTable &existing_table(PlanningContext &context, const std::string &name, OnRebuilt on_rebuilt = OnRebuilt::refuse);
// An index `name` on `table` (`create` is "CREATE [UNIQUE] INDEX", `definition` everything after
// "ON <table>"): built CONCURRENTLY by the worker after start; on a table this migration rebuilds
// (empty at start, read by nobody yet, and CONCURRENTLY is not there for a partitioned one) built
// at start, before the copy. `optional`: a failed concurrent build is reported and left out.
void build_index(OperationPlan &plan, const PlanningContext &context, const VirtualTable &table, const std::string &create,
                 const std::string &name, const std::string &definition, bool optional = false);
// Complete makes a unique constraint from an index built at start (ADD CONSTRAINT ... USING INDEX),
// which PostgreSQL cannot do on a partitioned table: refused on a rebuild that is one.
void refuse_unique_on_partitioned_rebuild(const VirtualTable &table, const std::string &what);
// The physical name of a new column that replaces or adds `column` until complete.
std::string new_column_name(const std::string &column);

}  // namespace pgshift
