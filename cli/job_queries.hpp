// What the CLI asks the server about the jobs of --schema's active migration. Each call is one
// autocommit statement: a transaction left open would hold a snapshot that the worker's CREATE INDEX
// CONCURRENTLY has to wait for.
#pragma once
#include "connection.hpp"
#include "job_status.hpp"
#include "options.hpp"

namespace pgshift::cli {

// The active migration's jobs, in order; no jobs when no migration is active or it has none.
JobsState read_jobs_state(Connection &conn, const GlobalOptions &options);

// Whether the schema's background worker runs (pgshift.worker_running).
bool worker_running(Connection &conn, const GlobalOptions &options);

// pgshift.backfill_resume: starts a worker from the jobs' checkpoints (and resumes paused or failed
// jobs, so call it only when there are none).
void resume_jobs(Connection &conn, const GlobalOptions &options);

}  // namespace pgshift::cli
