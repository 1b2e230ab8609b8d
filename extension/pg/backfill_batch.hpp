// One batch of a backfill job (pgshift.jobs), in the caller's transaction: lock the job row, run
// the batch's statement from the job's checkpoint (as the current role: the worker is the
// migration's), and store the next checkpoint in the same transaction (as the extension's owner,
// who alone writes pgshift's tables). The worker runs each batch in a transaction of its own; pgshift._backfill_batch()
// runs one in the caller's (tests of exact interleavings use it, so that no worker is needed).
#pragma once

#include <optional>

#include "core/backfill_throttle.hpp"

extern "C" {
#include "postgres.h"
}

struct BackfillBatch {
	bool ran;        // false: the job is not there or not pending/running (paused, failed, done)
	bool finished;   // the batch was the job's last: it is done
	int64 rows;      // rows the batch updated
	int delay_ms;    // the pause the job asks for before its next batch
	double ms;       // how long the batch's statement took
	pgshift::ThrottleSettings settings;   // the job's bounds, as the batch read them
};

// How the worker's throttle shapes the batch, and what it reports in the job's row.
struct BatchPacing {
	double target_ms;                        // the adaptive size aims at this duration
	std::optional<int32> max_rows;
	const char *state;                       // NULL: nothing to report yet
	const char *reason;
	std::optional<double> rows_per_second;
};

// even_paused: run a paused job's batch too (it stays paused); the worker leaves those alone.
// pacing: NULL for a batch run by SQL (pgshift._backfill_batch): the defaults, nothing reported.
BackfillBatch run_backfill_batch(const char *schema, const char *migration, int32 step, bool even_paused,
                                 const BatchPacing *pacing = nullptr);

// The job's throttle settings (its columns, else the server's settings), in a transaction with SPI
// connected, as the extension's owner; false when the job no longer waits to run.
bool read_throttle_settings(const char *schema, const char *migration, int32 step, pgshift::ThrottleSettings *settings);
