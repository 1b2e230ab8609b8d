// The session-level advisory lock that keeps two pgshift runs from migrating the same schema at once.
//
// It is polled with pg_try_advisory_lock in autocommit mode, never taken with the blocking
// pg_advisory_lock inside a transaction: a waiting run then holds no snapshot and no other lock, and the
// user sees that it waits. The extension's functions take the same key per transaction
// (pg_try_advisory_xact_lock); advisory locks are re-entrant within a session, so our calls pass while
// anybody else's fail with 55P03.
#pragma once
#include <string>
#include <vector>

#include "connection.hpp"

namespace pgshift::cli {

class AdvisoryLock {
public:
	// The per-schema lock (pgshift.lock_key(), hashtext(schema)); the extension must be installed.
	static AdvisoryLock for_schema(Connection &conn, const std::string &state_schema_quoted, const std::string &schema,
	                               double wait_timeout_seconds);
	// The lock init takes, before the extension (and its lock_key()) may exist: the same first key, 0.
	static AdvisoryLock for_init(Connection &conn, double wait_timeout_seconds);

	AdvisoryLock(AdvisoryLock &&other) noexcept;
	AdvisoryLock(const AdvisoryLock &) = delete;
	AdvisoryLock &operator=(const AdvisoryLock &) = delete;
	AdvisoryLock &operator=(AdvisoryLock &&) = delete;
	// Releases the lock (closing the connection would release it too).
	~AdvisoryLock();

private:
	AdvisoryLock(Connection &conn, std::string key_sql, std::vector<Param> params, std::string what);
	void acquire(double wait_timeout_seconds);

	Connection *conn_;
	std::string key_sql_;        // "<first key>, <second key>" as SQL over $1...
	std::vector<Param> params_;
	std::string what_;           // for messages: schema "public"
	bool held_ = false;
};

// The first key of both locks; equals pgshift.lock_key() ('pgsh' as an integer).
inline constexpr int advisory_lock_key = 1886610292;

}  // namespace pgshift::cli
