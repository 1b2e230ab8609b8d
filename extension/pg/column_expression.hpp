// Compiling a migration's `up`/`down` SQL into an executable expression over one table's row.
// PostgreSQL's parser resolves the expression's column names through a virtual-to-physical map,
// so `up: upper(name)` reads the physical column behind `name` whatever it is called on disk; no
// text is rewritten. The result is coerced to the target column's type, as an assignment would be.
#pragma once

extern "C" {
#include "postgres.h"
#include "executor/spi.h"
#include "nodes/execnodes.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
}

// Simple expressions are planned into an ExprState evaluated straight over the row. An expression
// with a subquery (`EXISTS (SELECT 1 FROM users WHERE id = user_id)`, pgroll's example 21) needs a
// plan of its own: it becomes a prepared query whose parameter $n is the row's column n.
struct CompiledColumnExpression {
	AttrNumber target;    // physical column the value is written to
	ExprState *state;     // fast path: evaluates over a slot holding the table's row (scan tuple)
	// Fast path: the expression planned (SQL functions inlined, checked) but not coerced to the
	// target's type, its row the range table's entry 1: what a backfill's SET list assigns, which
	// coerces as an assignment does (pg/backfill_assignments.hpp). NULL when a SET list could not say
	// the same (it holds an implicit length coercion, which written out as a cast would truncate).
	Node *set_value;
	SPIPlanPtr query;     // with subqueries: SELECT CAST((expr) AS type), kept for the session
	const char *search_path;   // the query runs (and is planned again) with this: pg_catalog (its names are qualified)
	int16 result_length;  // of the target's type, to copy the query's result out of SPI
	bool result_by_value;
	// It calls a stable function (a cast to date or timestamptz, now(), ...): its value may depend on
	// the session's settings, so the backfill (with the worker's settings) and each writer (with its
	// own) may compute different values.
	bool depends_on_settings;
};

// The expression's value for the row in `slot` (in the econtext's per-tuple memory).
Datum evaluate_column_expression(const CompiledColumnExpression &compiled, TupleTableSlot *slot, ExprContext *econtext,
                                 bool *isnull);

// Frees what compilation kept outside the current memory context (a prepared query).
void release_column_expression(CompiledColumnExpression &compiled);

// Parses and plans `expression` for `rel`, with column names resolved through `columns` (a jsonb
// object virtual name -> physical name; names not in it resolve against the table itself) and the
// value coerced to the type of `target_column`. Other names (tables, functions, types) resolve in
// `schema`, the managed schema, whatever the writing session's search_path. Allocates in
// CurrentMemoryContext. Raises an ERROR naming `what` (e.g. `up expression "..." for column "price"`)
// when the expression is not valid.
CompiledColumnExpression compile_column_expression(Relation rel, const char *expression, JsonbContainer *columns,
                                                   const char *target_column, const char *what, const char *schema);

// `set_value` (of a compiled expression over `rel`) as SQL over the alias _pgshift_t, with every
// name outside pg_catalog qualified, when that text parses back (with search_path = pg_catalog,
// pg_temp, as a backfill batch runs) and plans to the same tree; NULL when it does not (an explicit
// COLLATE the planner folded into a relabeling, a CASE the planner simplified, a folded record
// constant...), or when set_value is NULL. Allocates in CurrentMemoryContext.
const char *set_value_sql(Relation rel, Node *set_value);
