// Waiting, after start and before complete, until the background worker has run every job of the
// active migration (backfills, concurrent index builds), showing their progress on stderr.
#pragma once
#include "connection.hpp"
#include "options.hpp"

namespace pgshift::cli {

// Polls the active migration's jobs (single autocommit statements, never an open transaction) until
// all are done; returns at once when there are none. A worker lost to a server restart or a crash is
// started again from the checkpoint (pgshift.backfill_resume); paused jobs are left paused, and waited
// for. Throws Failure when a job failed, when the connection is lost, and on Ctrl-C (which leaves the
// worker running): each with a hint that the migration is still active.
void wait_for_jobs(Connection &conn, const GlobalOptions &options);

}  // namespace pgshift::cli
