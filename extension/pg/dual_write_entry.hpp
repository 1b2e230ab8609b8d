// A table's dual-write trigger as this backend runs it: its configuration, read once from the
// trigger's argument, and its up/down expressions, compiled on first use of each direction.
//
// The trigger's one argument is its configuration, as JSON:
//   {"schema": "public", "new_version": "public_02_x", "old_version": "public_01_y" | null,
//    "assignments": [{"direction": "up"|"down", "target": "<physical column>",
//                     "expression": "<SQL>", "columns": {"<virtual>": "<physical>", ...}}]}
//
// Entries are cached per backend and trigger. A change of the table's definition (which dropping
// or replacing the trigger is) marks its entry stale: the next row compiles a fresh one, and stale
// entries are freed when the transaction ends, when no trigger can be running.
#pragma once

#include "pg/column_expression.hpp"

extern "C" {
#include "postgres.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
}

enum class Direction { up, down };

// Whether a trigger of that name is pgshift's dual-write trigger (core/dual_write_plan.hpp): this
// version's name or 0.1.0's.
bool is_dual_write_trigger(const char *name);

struct Assignment {
	Direction direction;
	const char *target;
	AttrNumber target_attnum;              // InvalidAttrNumber when the table has no such column
	const char *expression;
	JsonbContainer *columns;               // points into the entry's copy of the configuration
	CompiledColumnExpression compiled;     // valid once its direction is compiled
	bool set_sql_checked;                  // the backfill worker's: set_sql worked out (once per entry)
	const char *set_sql;                   // compiled.set_value as a batch's SQL (set_value_sql), or NULL
};

struct DualWriteEntry {
	Oid trigger_oid;
	Oid relation_oid;
	bool stale;
	MemoryContext memory;
	const char *schema;         // the managed schema
	const char *new_version;
	const char *old_version;    // NULL when there is no previous version schema
	const char *pending_version;  // the new version's name until it opens; NULL: open from the start
	// The version schemas' OIDs, resolved by name (InvalidOid: no such schema); resolved again
	// whenever any schema is created, renamed or dropped. While the pending schema exists the new
	// version is that schema (its views refuse every use), whatever else has the new version's
	// name; opening renames it, which keeps its OID.
	uint64 namespaces_generation;
	Oid new_version_oid, old_version_oid;
	int assignment_count;
	Assignment *assignments;
	bool compiled[2];           // per direction: compiled on first use, so a broken `down` does not
	                            // stop old-version writes (as in pgroll, where it fails at run time)
	TupleTableSlot *slot;
	ExprContext *econtext;
	int value_capacity;         // the table's columns when the entry was made: the arrays' length
	Datum *values;              // a row's values, with an assignment's in place, to form the new tuple
	bool *nulls;
	DualWriteEntry *next;
};

// Registers the cache's invalidation and end-of-transaction callbacks (from _PG_init).
void register_dual_write_cache(void);

// The backend's entry for `trigger` on `rel`, compiled on first use.
DualWriteEntry *dual_write_entry(Trigger *trigger, Relation rel);

// A fresh entry under `parent`, which the caller frees with free_dual_write_entry (pgshift._check_dual_write
// keeps it under the statement's memory, so that an error frees it too).
DualWriteEntry *new_dual_write_entry(Trigger *trigger, Relation rel, MemoryContext parent);
void free_dual_write_entry(DualWriteEntry *entry);

// Compiles the direction's expressions (nothing when done already). On error nothing of the
// attempt stays allocated, and the next row tries again.
void compile_direction(DualWriteEntry *entry, Relation rel, Direction direction);

// Brings the entry's schema OIDs up to date.
void refresh_version_namespaces(DualWriteEntry *entry);
