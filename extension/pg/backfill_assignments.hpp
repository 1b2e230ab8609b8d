// A backfill batch that computes the new columns in its SET list (core/batch_assignments.hpp says
// why), built from the table's dual-write trigger as this backend has compiled it, and run so that
// it calls nothing the trigger would not.
#pragma once

extern "C" {
#include "postgres.h"
}

struct ComputingBatch {
	const char *statement;   // the batch with the up expressions in its SET list
	Oid table_owner;         // whose functions it may call (pg/trusted_functions.hpp)
};

// The batch `statement` for table `relation` (locked until the transaction ends) computing the
// trigger's up assignments itself; false when the trigger must compute them (batch_can_compute)
// or the statement is not one pgshift built. Allocates in CurrentMemoryContext. The expressions are
// compiled as the trigger compiles them, so a broken one fails the batch either way.
bool computing_batch(Oid relation, const char *statement, ComputingBatch *batch);

// Runs it with SPI as SPI_execute_with_args would, after checking that every function its
// statement calls, as parsed now, is one the expressions may call: a function created since they
// were compiled (an overload that matches better) is refused as the trigger would refuse it.
int run_computing_batch(const ComputingBatch &batch, int nargs, Oid *types, Datum *values, const char *nulls);
