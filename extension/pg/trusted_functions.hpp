// Whose functions a migration's expression may call. `up` and `down` run in the dual-write trigger
// as whichever client writes the table: a function of a third role there (one planted in `public`
// with a better-matching signature than pg_catalog's, say) would run with every writer's rights.
// An expression may call functions owned by a superuser (PostgreSQL's own, extensions') or by the
// table's owner, nothing else.
#pragma once

extern "C" {
#include "postgres.h"
#include "nodes/nodes.h"
}

// Raises an ERROR naming the first function of `node` (an expression, or a Query with
// its subqueries) whose owner is neither a superuser nor `table_owner`.
void require_trusted_functions(Node *node, Oid table_owner);
