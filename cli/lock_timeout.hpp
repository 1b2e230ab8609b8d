// lock_timeout for one state-changing statement, in a transaction of its own.
//
// Not a session setting: behind a transaction-pooling pooler (PgBouncer) a session-wide SET stays on
// the server connection that ran it, for whichever client gets that connection next, while this
// CLI's next transaction may run on another server connection that never saw it. So every call
// carries it: BEGIN; set_config('lock_timeout', ..., is_local => true); the statement; COMMIT.
#pragma once
#include <string>
#include <vector>

#include "connection.hpp"
#include "options.hpp"

namespace pgshift::cli {

// The backend pid of the connection holding this run's lock (advisory_lock.hpp), "" when none: every
// call then also sets pgshift.run_lock_holder to it, for that transaction only.
void set_run_lock_holder(std::string pid);

// Runs `sql` in its own transaction with --lock-timeout (when not 0) in force for that transaction
// only; rolls back and rethrows on any error, so the connection is never left inside a transaction.
Result query_with_lock_timeout(Connection &conn, const GlobalOptions &options, const std::string &sql,
                               const std::vector<Param> &params = {});

}  // namespace pgshift::cli
