// The worker's side of the load-aware throttle (core/backfill_throttle.hpp decides): after each
// batch it samples the application's load, decides the pause, and waits it out in short slices,
// sampling on; a pause ends early when the application goes quiet, and a long one reads the job's
// settings again each second (backfill_configure applies to running backfills). The next batch
// is sized and reported (backfill_progress: throttle_state, throttle, rows_per_second) accordingly.
#pragma once

#include "pg/backfill_batch.hpp"

void define_throttle_settings(void);

// pgshift.backfill_throttle: whether jobs whose own mode is unset are load-aware.
bool default_load_aware_throttle(void);

// What the next batch of this job is to aim at and report (a new job starts afresh).
BatchPacing pacing_for(const char *schema, const char *migration, int32 step);

// After a batch that ran (outside any transaction): decides and waits out the pause.
void pace_after_batch(const char *schema, const char *migration, int32 step, const BackfillBatch &batch);
