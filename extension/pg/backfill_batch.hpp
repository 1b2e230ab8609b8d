// One batch of a backfill job (pgshift.jobs), in the caller's transaction: lock the job row, run
// the batch's statement from the job's checkpoint (as the current role: the worker is the
// migration's), and store the next checkpoint in the same transaction (as the extension's owner,
// who alone writes pgshift's tables). The worker runs each batch in a transaction of its own; pgshift._backfill_batch()
// runs one in the caller's (tests of exact interleavings use it, so that no worker is needed).
#pragma once

extern "C" {
#include "postgres.h"
}

struct BackfillBatch {
	bool ran;        // false: the job is not there or not pending/running (paused, failed, done)
	bool finished;   // the batch was the job's last: it is done
	int64 rows;      // rows the batch updated
	int delay_ms;    // the pause the job asks for before its next batch
};

// even_paused: run a paused job's batch too (it stays paused); the worker leaves those alone.
BackfillBatch run_backfill_batch(const char *schema, const char *migration, int32 step, bool even_paused);
