#include "lock_timeout.hpp"

#include <utility>

namespace pgshift::cli {

namespace {
std::string run_lock_holder;   // one run per process: the CLI holds at most one run lock at a time
}  // namespace

void set_run_lock_holder(std::string pid) { run_lock_holder = std::move(pid); }

Result query_with_lock_timeout(Connection &conn, const GlobalOptions &options, const std::string &sql,
                               const std::vector<Param> &params) {
	conn.query("BEGIN");
	try {
		// Every DDL statement of start/complete/rollback gives up on a lock it cannot get in time instead
		// of queueing behind a long transaction (and blocking everyone after it); lock_retry.hpp retries.
		if (options.lock_timeout_ms > 0)
			conn.query("SELECT pg_catalog.set_config('lock_timeout', $1, true)",
			           {std::to_string(options.lock_timeout_ms) + "ms"});
		if (!run_lock_holder.empty())
			conn.query("SELECT pg_catalog.set_config('pgshift.run_lock_holder', $1, true)", {run_lock_holder});
		Result result = conn.query(sql, params);
		conn.query("COMMIT");
		return result;
	} catch (...) {
		// After a failed COMMIT there is no transaction left and ROLLBACK only warns; after a lost
		// connection it fails, and the original error is the one to report.
		try {
			if (conn.ok())
				conn.query("ROLLBACK");
		} catch (...) {
		}
		throw;
	}
}

}  // namespace pgshift::cli
