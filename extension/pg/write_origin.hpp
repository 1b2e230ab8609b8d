// What a row being written came through: a view of a version schema, the table itself, or the
// worker's backfill. The dual-write trigger picks its direction from this, not from settings a
// client or a role default can change (docs/design.md, "Which version a write is").
//
// PostgreSQL rewrites a write through an auto-updatable view into a write of its table, so a row
// trigger only ever sees the table. The executor still has the view: its range-table entry stays
// in the plan for permission checks. An ExecutorStart hook remembers, for every statement that
// writes, which tables it writes and through which views, on a stack that follows executor
// nesting (statements run by triggers and functions push their own); a row trigger asks the
// innermost one.
#pragma once

extern "C" {
#include "postgres.h"
#include "utils/relcache.h"
}

// Installs the executor and utility hooks (from _PG_init).
void register_write_origin_hooks(void);

// How the statement now writing `rel` reaches it.
struct WriteOrigin
{
	bool backfill;          // the worker's backfill batch itself
	Oid view_namespace;     // the schema of the view it writes through; InvalidOid: the table itself
};

// Raises an error when one statement writes `rel` as two versions at once (a data-modifying WITH
// through both versions' views, or through a view and the table itself): no direction would be
// right for both.
WriteOrigin write_origin_of(Relation rel);

// The worker marks the statement it runs next, whose text is `text`, as its backfill batch: that
// statement fires no trigger but pgshift's own and the database's internal ones (foreign keys,
// deferred unique checks), and the dual-write trigger computes the new version's columns for it;
// or, when `computes_new_columns` (its SET list does, pg/backfill_assignments.hpp), only the
// internal ones. A writing statement with another text that starts first (run by another
// extension's hook, say) is not the batch.
void expect_backfill_statement(const char *text, bool computes_new_columns);
// Ends the mark; true if no statement took it.
bool forget_backfill_statement(void);
// Whether the innermost statement running is the worker's backfill batch (a row trigger fired by it
// asks, without naming its table).
bool backfill_statement_running(void);
