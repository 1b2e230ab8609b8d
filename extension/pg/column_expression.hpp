// Compiling a migration's `up`/`down` SQL into an executable expression over one table's row.
// PostgreSQL's parser resolves the expression's column names through a virtual-to-physical map,
// so `up: upper(name)` reads the physical column behind `name` whatever it is called on disk; no
// text is rewritten. The result is coerced to the target column's type, as an assignment would be.
#pragma once

extern "C" {
#include "postgres.h"
#include "nodes/execnodes.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
}

struct CompiledColumnExpression {
	AttrNumber target;  // physical column the value is written to
	ExprState *state;   // evaluates over a slot holding the table's row (scan tuple)
};

// Parses and plans `expression` for `rel`, with column names resolved through `columns` (a jsonb
// object virtual name -> physical name; names not in it resolve against the table itself) and the
// value coerced to the type of `target_column`. Allocates in CurrentMemoryContext. Raises an
// ERROR naming `what` (e.g. `up expression for column "price"`) when the expression is not valid.
CompiledColumnExpression compile_column_expression(Relation rel, const char *expression, JsonbContainer *columns,
                                                   const char *target_column, const char *what);
