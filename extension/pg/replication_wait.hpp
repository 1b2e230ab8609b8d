// The backfill yields to the standbys: the worker notes the WAL position and time of each batch it
// commits, and before the next batch asks pg_stat_replication how far each physical standby has
// replayed. A standby's lag is the age of the oldest noted batch it has not replayed yet; while the
// largest is over the job's bound (pgshift.jobs.max_replication_lag_ms, else the server setting
// pgshift.max_replication_lag, default 1 s; 0: off), no batch runs, and the job's `throttle` says why.
#pragma once

extern "C" {
#include "postgres.h"
}

void define_replication_settings(void);

// In a transaction of the worker's: whether the job must wait for a standby now (and then its
// `throttle` names the standby and the lag; it is cleared once the standbys have caught up).
bool must_wait_for_standbys(const char *schema, const char *migration, int32 step);

// After a batch has committed.
void note_batch_committed(void);
