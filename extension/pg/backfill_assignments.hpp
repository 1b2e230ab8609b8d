// The SET list with which a backfill batch computes the new columns itself (core/batch_assignments.hpp
// says why), from the table's dual-write trigger as this backend has compiled it.
#pragma once

extern "C" {
#include "postgres.h"
}

// The batch `statement` for table `relation` computing the trigger's up assignments in its SET
// list, or NULL when the trigger must compute them (see batch_can_compute) or the statement is not
// one pgshift built. Allocates in CurrentMemoryContext; the up expressions are compiled (and
// checked) as the trigger compiles them, so a broken one fails the batch either way.
const char *computing_batch_statement(Oid relation, const char *statement);
