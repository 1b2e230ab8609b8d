// The stack of statements that write, kept by executor hooks (see write_origin.hpp).
//
// Each entry lives in its statement's executor memory and leaves the stack when that memory goes:
// at ExecutorEnd, or when an error unwinds the statement (its portal or SPI memory is released), so
// no error path can leave a stale entry on top. A transaction's end empties the stack as well.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/write_origin.hpp"
#include "pg/dual_write_entry.hpp"

#include <initializer_list>

extern "C" {
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "tcop/pquery.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/portal.h"
#include "utils/rel.h"
}

namespace {

struct TargetView {
	Oid view_namespace;
	Oid table;               // the relation the view writes (itself a view when views are stacked)
};

struct WritingStatement {
	WritingStatement *outer;
	bool backfill;
	int table_count;
	Oid *tables;             // the relations the statement modifies (its result relations)
	bool *named;             // per result relation: named by the statement itself, not a partition or
	                         // child that PostgreSQL added for a parent it names (those ask no rights)
	int view_count;
	TargetView *views;
	int deleting_view_count;
	Oid *deleted_through_views; // the relation behind each view the statement deletes through
	MemoryContextCallback on_release;
	// Partitions rows were routed to, and the relation of the statement each belongs to: a row
	// trigger asks for every row, and looking the ancestors up in pg_inherits each time made a
	// routed INSERT several times slower. A partition keeps its parent while a statement writing
	// through the parent runs (detaching it takes a lock that conflicts with the statement's).
	static constexpr int routed_capacity = 16;
	int routed_count;
	Oid routed_from[routed_capacity];
	Oid routed_to[routed_capacity];
};

WritingStatement *innermost = nullptr;
bool backfill_expected = false;
bool backfill_computes_expected = false;
const char *backfill_text = nullptr;   // the batch's text: only the statement running it is the batch
// Set while the transaction in which the library was loaded runs: a statement of it may have
// started before the hook was installed.
bool statements_before_load = false;
ExecutorStart_hook_type previous_executor_start = nullptr;
ProcessUtility_hook_type previous_process_utility = nullptr;

void leave_stack(void *arg)
{
	auto *statement = static_cast<WritingStatement *>(arg);
	for (WritingStatement **link = &innermost; *link != nullptr; link = &(*link)->outer)
		if (*link == statement) {
			*link = statement->outer;
			return;
		}
}

// A view the statement writes through (INSERT, UPDATE; a DELETE fires no dual-write trigger). Views
// the statement only reads are in the plan as well, as the permission-check entries of their
// subqueries: those carry neither INSERT rights nor updated columns (FOR UPDATE asks for UPDATE
// rights, but updates no column).
bool is_written_view(const RangeTblEntry *entry)
{
	return entry->rtekind == RTE_RELATION && entry->relkind == RELKIND_VIEW &&
	       ((entry->requiredPerms & ACL_INSERT) != 0 || !bms_is_empty(entry->updatedCols));
}

// A view the statement deletes through: one of the table's result relations that fires no dual-write
// trigger, and so is neither a version's write nor a write of the table itself.
bool is_deleting_view(const RangeTblEntry *entry)
{
	return entry->rtekind == RTE_RELATION && entry->relkind == RELKIND_VIEW && (entry->requiredPerms & ACL_DELETE) != 0;
}

// The relation an auto-updatable view writes: the one item of its FROM list.
Oid relation_behind_view(Oid view_oid)
{
	Relation view = relation_open(view_oid, NoLock);   // the statement holds its lock already
	Query *definition = get_view_query(view);
	Oid behind = InvalidOid;
	if (list_length(definition->jointree->fromlist) == 1 && IsA(linitial(definition->jointree->fromlist), RangeTblRef)) {
		auto *reference = static_cast<RangeTblRef *>(linitial(definition->jointree->fromlist));
		behind = rt_fetch(reference->rtindex, definition->rtable)->relid;
	}
	relation_close(view, NoLock);
	return behind;
}

void note_trigger(TriggerDesc *kept, const Trigger &trigger)
{
	int16 type = trigger.tgtype;
	for (int timing : {TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSTEAD}) {
		bool row_insert = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, timing, TRIGGER_TYPE_INSERT);
		bool row_update = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, timing, TRIGGER_TYPE_UPDATE);
		bool row_delete = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, timing, TRIGGER_TYPE_DELETE);
		bool statement_insert = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, timing, TRIGGER_TYPE_INSERT);
		bool statement_update = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, timing, TRIGGER_TYPE_UPDATE);
		bool statement_delete = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, timing, TRIGGER_TYPE_DELETE);
		bool statement_truncate = TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, timing, TRIGGER_TYPE_TRUNCATE);
		if (timing == TRIGGER_TYPE_BEFORE) {
			kept->trig_insert_before_row |= row_insert;
			kept->trig_update_before_row |= row_update;
			kept->trig_delete_before_row |= row_delete;
			kept->trig_insert_before_statement |= statement_insert;
			kept->trig_update_before_statement |= statement_update;
			kept->trig_delete_before_statement |= statement_delete;
			kept->trig_truncate_before_statement |= statement_truncate;
		} else if (timing == TRIGGER_TYPE_AFTER) {
			kept->trig_insert_after_row |= row_insert;
			kept->trig_update_after_row |= row_update;
			kept->trig_delete_after_row |= row_delete;
			kept->trig_insert_after_statement |= statement_insert;
			kept->trig_update_after_statement |= statement_update;
			kept->trig_delete_after_statement |= statement_delete;
			kept->trig_truncate_after_statement |= statement_truncate;
		} else {
			kept->trig_insert_instead_row |= row_insert;
			kept->trig_update_instead_row |= row_update;
			kept->trig_delete_instead_row |= row_delete;
		}
	}
	kept->trig_insert_new_table |= TRIGGER_FOR_INSERT(type) && trigger.tgnewtable != nullptr;
	kept->trig_update_old_table |= TRIGGER_FOR_UPDATE(type) && trigger.tgoldtable != nullptr;
	kept->trig_update_new_table |= TRIGGER_FOR_UPDATE(type) && trigger.tgnewtable != nullptr;
	kept->trig_delete_old_table |= TRIGGER_FOR_DELETE(type) && trigger.tgoldtable != nullptr;
}

// The backfill changes no user-visible column, so the table's own triggers (an updated_at stamp,
// an audit log) must not see it: each result relation of the batch keeps pgshift's trigger and the
// internal ones (foreign keys, deferred uniqueness) only; pgshift's too goes when the batch
// computes the new columns itself (pg/backfill_assignments.hpp). The executor's trigger arrays are
// sized for the full set and filled on first use, so a shorter list indexes them safely.
void keep_only_pgshift_triggers(EState *estate, bool keep_dual_write)
{
	ListCell *cell;
	foreach (cell, estate->es_opened_result_relations) {
		auto *info = static_cast<ResultRelInfo *>(lfirst(cell));
		TriggerDesc *all = info->ri_TrigDesc;
		if (all == nullptr)
			continue;
		auto *kept = static_cast<TriggerDesc *>(palloc0(sizeof(TriggerDesc)));
		kept->triggers = static_cast<Trigger *>(palloc0(sizeof(Trigger) * all->numtriggers));
		for (int i = 0; i < all->numtriggers; i++) {
			const Trigger &trigger = all->triggers[i];
			if (!trigger.tgisinternal && !(keep_dual_write && is_dual_write_trigger(trigger.tgname)))
				continue;
			kept->triggers[kept->numtriggers++] = trigger;
			note_trigger(kept, trigger);
		}
		info->ri_TrigDesc = kept->numtriggers > 0 ? kept : nullptr;
	}
}

void remember_writing_statement(QueryDesc *query, int eflags)
{
	PlannedStmt *plan = query->plannedstmt;
	if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0 || plan->commandType == CMD_UTILITY ||
	    (plan->commandType == CMD_SELECT && !plan->hasModifyingCTE))
		return;
	bool backfill = backfill_expected && query->sourceText != nullptr && backfill_text != nullptr &&
	                strcmp(query->sourceText, backfill_text) == 0;
	bool backfill_computes = backfill && backfill_computes_expected;
	if (backfill)
		(void) forget_backfill_statement();

	MemoryContext memory = query->estate->es_query_cxt;
	MemoryContext caller = MemoryContextSwitchTo(memory);
	auto *statement = static_cast<WritingStatement *>(palloc0(sizeof(WritingStatement)));
	statement->backfill = backfill;
	statement->tables = static_cast<Oid *>(palloc(sizeof(Oid) * (list_length(plan->resultRelations) + 1)));
	statement->named = static_cast<bool *>(palloc(sizeof(bool) * (list_length(plan->resultRelations) + 1)));
	ListCell *cell;
	foreach (cell, plan->resultRelations) {
		const RangeTblEntry *entry = rt_fetch(lfirst_int(cell), plan->rtable);
		statement->named[statement->table_count] = entry->requiredPerms != 0;
		statement->tables[statement->table_count++] = entry->relid;
	}
	int written_views = 0, deleting_views = 0;
	foreach (cell, plan->rtable) {
		written_views += is_written_view(static_cast<RangeTblEntry *>(lfirst(cell))) ? 1 : 0;
		deleting_views += is_deleting_view(static_cast<RangeTblEntry *>(lfirst(cell))) ? 1 : 0;
	}
	if (deleting_views > 0) {
		statement->deleted_through_views = static_cast<Oid *>(palloc(sizeof(Oid) * deleting_views));
		foreach (cell, plan->rtable) {
			auto *entry = static_cast<RangeTblEntry *>(lfirst(cell));
			if (is_deleting_view(entry))
				statement->deleted_through_views[statement->deleting_view_count++] = relation_behind_view(entry->relid);
		}
	}
	if (written_views > 0) {
		statement->views = static_cast<TargetView *>(palloc(sizeof(TargetView) * written_views));
		foreach (cell, plan->rtable) {
			auto *entry = static_cast<RangeTblEntry *>(lfirst(cell));
			if (!is_written_view(entry))
				continue;
			statement->views[statement->view_count++] = {get_rel_namespace(entry->relid), relation_behind_view(entry->relid)};
		}
	}
	MemoryContextSwitchTo(caller);

	statement->on_release.func = leave_stack;
	statement->on_release.arg = statement;
	MemoryContextRegisterResetCallback(memory, &statement->on_release);
	statement->outer = innermost;
	innermost = statement;
	if (backfill)
		keep_only_pgshift_triggers(query->estate, !backfill_computes);
}

void pgshift_executor_start(QueryDesc *query, int eflags)
{
	if (previous_executor_start != nullptr)
		previous_executor_start(query, eflags);
	else
		standard_ExecutorStart(query, eflags);
	remember_writing_statement(query, eflags);
}

void run_utility(PlannedStmt *statement, const char *text, bool read_only_tree, ProcessUtilityContext context,
                 ParamListInfo parameters, QueryEnvironment *environment, DestReceiver *destination,
                 QueryCompletion *completion)
{
	if (previous_process_utility != nullptr)
		previous_process_utility(statement, text, read_only_tree, context, parameters, environment, destination,
		                         completion);
	else
		standard_ProcessUtility(statement, text, read_only_tree, context, parameters, environment, destination,
		                        completion);
}

// COPY FROM writes rows without the executor's start: it goes on the stack as a statement that
// writes no table through a view, so that its rows count as written to the table itself even when
// a function of an outer statement runs it.
void pgshift_process_utility(PlannedStmt *statement, const char *text, bool read_only_tree,
                             ProcessUtilityContext context, ParamListInfo parameters, QueryEnvironment *environment,
                             DestReceiver *destination, QueryCompletion *completion)
{
	Node *tree = statement->utilityStmt;
	if (!IsA(tree, CopyStmt) || !castNode(CopyStmt, tree)->is_from) {
		run_utility(statement, text, read_only_tree, context, parameters, environment, destination, completion);
		return;
	}
	WritingStatement copy{};
	copy.outer = innermost;
	innermost = &copy;
	PG_TRY();
	{
		run_utility(statement, text, read_only_tree, context, parameters, environment, destination, completion);
	}
	PG_FINALLY();
	{
		leave_stack(&copy);
	}
	PG_END_TRY();
}

void forget_statements_at_transaction_end(XactEvent event, void *)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
	    event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) {
		innermost = nullptr;
		(void) forget_backfill_statement();
		statements_before_load = false;
	}
}

bool writes_relation(const WritingStatement *statement, Oid relation)
{
	for (int i = 0; i < statement->table_count; i++)
		if (statement->tables[i] == relation)
			return true;
	return false;
}

[[noreturn]] void refuse_two_versions(Relation rel, const char *how)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	                errmsg("one statement writes table \"%s\" as two versions at once, %s", RelationGetRelationName(rel), how),
	                errhint("pgshift cannot tell which version such a write belongs to: split it into one statement "
	                        "per version.")));
	pg_unreachable();
}

// Whether the statement names `relation`: as a result relation, or as what a view it writes or
// deletes through writes.
bool names_relation(const WritingStatement *statement, Oid relation)
{
	if (writes_relation(statement, relation))
		return true;
	for (int i = 0; i < statement->view_count; i++)
		if (statement->views[i].table == relation)
			return true;
	for (int i = 0; i < statement->deleting_view_count; i++)
		if (statement->deleted_through_views[i] == relation)
			return true;
	return false;
}

// The relation the statement names for `rel`: rel itself, or the partitioned table above it that
// the statement names. The topmost one wins: an UPDATE or DELETE of a partitioned table lists its
// leaf partitions among its result relations too, so a partition a row is written in may be named
// both ways (pg-boss 10 fails a job by deleting it through a view and inserting it again through
// the same view, in one statement: the insert is routed into a partition the delete names), and
// the write is the parent's, through its view.
Oid written_relation(WritingStatement *statement, Relation rel)
{
	Oid relation = RelationGetRelid(rel);
	if (!rel->rd_rel->relispartition)
		return relation;
	for (int i = 0; i < statement->routed_count; i++)
		if (statement->routed_from[i] == relation)
			return statement->routed_to[i];
	Oid found = relation;
	List *ancestors = get_partition_ancestors(relation);   // the parent first, the root last
	ListCell *cell;
	foreach (cell, ancestors)
		if (names_relation(statement, lfirst_oid(cell)))
			found = lfirst_oid(cell);
	list_free(ancestors);
	// The partition named by the statement itself as well as through a view of its parent: a write
	// of the table and one of a version at once, which no direction fits.
	bool named_itself = false;
	for (int i = 0; i < statement->table_count; i++)
		named_itself = named_itself || (statement->tables[i] == relation && statement->named[i]);
	bool through_view = false;
	for (int i = 0; i < statement->view_count; i++)
		through_view = through_view || statement->views[i].table == found;
	for (int i = 0; i < statement->deleting_view_count; i++)
		through_view = through_view || statement->deleted_through_views[i] == found;
	if (named_itself && found != relation && through_view)
		refuse_two_versions(rel, "through the view of its partitioned table and directly");
	if (statement->routed_count < WritingStatement::routed_capacity) {
		statement->routed_from[statement->routed_count] = relation;
		statement->routed_to[statement->routed_count++] = found;
	}
	return found;
}


// A statement that started before this backend loaded the library, so the hook did not see it: a
// session's first statement that touches pgshift, writing through a view made by pgshift 0.1.0
// (those have no condition that loads the library when the write is planned) or to the table
// itself. The portal the client runs holds its plan; a statement run by a function inside it is
// not there, and counts as a write to the table.
Oid view_of_running_portal(Relation rel)
{
	if (ActivePortal == nullptr)
		return InvalidOid;
	Oid relation = RelationGetRelid(rel);
	Oid found = InvalidOid;
	ListCell *statement_cell;
	foreach (statement_cell, ActivePortal->stmts) {
		auto *plan = static_cast<PlannedStmt *>(lfirst(statement_cell));
		if (!IsA(plan, PlannedStmt) || plan->commandType == CMD_UTILITY)
			continue;
		ListCell *cell;
		foreach (cell, plan->rtable) {
			auto *entry = static_cast<RangeTblEntry *>(lfirst(cell));
			if (!is_written_view(entry) || relation_behind_view(entry->relid) != relation)
				continue;
			Oid view_namespace = get_rel_namespace(entry->relid);
			if (OidIsValid(found) && found != view_namespace)
				refuse_two_versions(rel, psprintf("through the views of schemas \"%s\" and \"%s\"",
				                                  get_namespace_name(found), get_namespace_name(view_namespace)));
			found = view_namespace;
		}
	}
	return found;
}

int times_written(const WritingStatement *statement, Oid relation)
{
	int times = 0;
	for (int i = 0; i < statement->table_count; i++)
		times += statement->tables[i] == relation ? 1 : 0;
	return times;
}

}  // namespace

void register_write_origin_hooks(void)
{
	previous_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = pgshift_executor_start;
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = pgshift_process_utility;
	RegisterXactCallback(forget_statements_at_transaction_end, nullptr);
	statements_before_load = IsTransactionState();
}

WriteOrigin write_origin_of(Relation rel)
{
	WriteOrigin origin{false, InvalidOid};
	WritingStatement *statement = innermost;
	if (statement == nullptr) {
		if (statements_before_load)
			origin.view_namespace = view_of_running_portal(rel);
		return origin;
	}
	Oid relation = written_relation(statement, rel);
	if (!writes_relation(statement, relation))
		return origin;   // not the statement firing this trigger (a COPY, or a write outside the executor)
	origin.backfill = statement->backfill;
	int views_over_it = 0;
	for (int i = 0; i < statement->view_count; i++) {
		const TargetView &view = statement->views[i];
		if (view.table != relation)
			continue;
		views_over_it++;
		if (OidIsValid(origin.view_namespace) && origin.view_namespace != view.view_namespace)
			refuse_two_versions(rel, psprintf("through the views of schemas \"%s\" and \"%s\"",
			                                  get_namespace_name(origin.view_namespace),
			                                  get_namespace_name(view.view_namespace)));
		origin.view_namespace = view.view_namespace;
	}
	// Each write through a view is a result relation of the table, and so is each DELETE through one
	// (DELETE ... RETURNING feeding an INSERT, as pg-boss 10 fails a job); one more is a write of the
	// table itself (the old version's) in the same statement.
	int deletes_over_it = 0;
	for (int i = 0; i < statement->deleting_view_count; i++)
		deletes_over_it += statement->deleted_through_views[i] == relation ? 1 : 0;
	if (views_over_it > 0 && times_written(statement, relation) > views_over_it + deletes_over_it)
		refuse_two_versions(rel, psprintf("through the view of schema \"%s\" and directly",
		                                  get_namespace_name(origin.view_namespace)));
	return origin;
}

void expect_backfill_statement(const char *text, bool computes_new_columns)
{
	backfill_expected = true;
	backfill_computes_expected = computes_new_columns;
	backfill_text = text;
}

bool forget_backfill_statement(void)
{
	bool expected = backfill_expected;
	backfill_expected = false;
	backfill_computes_expected = false;
	backfill_text = nullptr;
	return expected;
}

bool backfill_statement_running(void)
{
	return innermost != nullptr && innermost->backfill;
}
