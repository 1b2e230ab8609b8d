// The run lock that keeps two pgshift runs from migrating the same schema at once, built to work
// through a transaction-pooling connection pooler (PgBouncer with pool_mode = transaction).
//
// Why not a session-level advisory lock: behind a transaction pooler each transaction of a client may
// run on another server connection. pg_advisory_lock would stay on whichever server connection ran it
// (held for, and re-entrant to, other clients that get it next), and pg_advisory_unlock could run
// elsewhere and release nothing.
//
// So the lock is a transaction-level advisory lock held on a second, dedicated connection inside one
// open transaction for the whole run: a pooler keeps a server connection assigned to a client for as
// long as its transaction is open. ROLLBACK at the end, or the connection closing (the CLI killed),
// releases it. The transaction:
//   * is READ COMMITTED whatever the server's default: between statements it then holds no snapshot
//     (backend_xmin is null) and no transaction id, so the background worker's CREATE INDEX
//     CONCURRENTLY and VALIDATE CONSTRAINT do not wait for it (REPEATABLE READ would keep a snapshot,
//     and the index build would wait for the very run that waits for the index: a deadlock);
//   * sets idle_in_transaction_session_timeout to 0 for itself only (SET LOCAL), so a server default
//     does not end it mid-run;
//   * runs its statements over the simple query protocol: an extended-protocol SELECT would leave
//     its portal, and with it a snapshot, open until the transaction ends (connection.hpp);
//   * is polled, never blocking: pg_try_advisory_xact_lock, and at once ROLLBACK when it is busy, then
//     again after a pause, so a waiting run holds nothing and the user sees that it waits.
//
// The key differs from the one the extension's functions take per transaction,
// (pgshift.lock_key(), hashtext(schema)): those run on the CLI's other connection and would fail with
// 55P03 against a lock the CLI held itself under that key. Two CLI runs exclude each other with the
// run key; every state-changing call is still serialized with any other caller by the extension's key.
// It needs two server connections per run: a pool of one per database and user would deadlock.
#pragma once
#include <string>

#include "connection.hpp"
#include "options.hpp"

namespace pgshift::cli {

class AdvisoryLock {
public:
	// The per-schema run lock (run_lock_key, hashtext(schema)).
	static AdvisoryLock for_schema(const GlobalOptions &options, const std::string &schema, double wait_timeout_seconds);
	// The lock init takes, before the extension exists: the same first key, 0.
	static AdvisoryLock for_init(const GlobalOptions &options, double wait_timeout_seconds);

	AdvisoryLock(AdvisoryLock &&other) noexcept;
	AdvisoryLock(const AdvisoryLock &) = delete;
	AdvisoryLock &operator=(const AdvisoryLock &) = delete;
	AdvisoryLock &operator=(AdvisoryLock &&) = delete;
	// Releases the lock with ROLLBACK, so a pooler gets its server connection back at once; closing the
	// connection afterwards would release it too.
	~AdvisoryLock();

private:
	AdvisoryLock(const GlobalOptions &options, std::string what);
	void acquire(double wait_timeout_seconds);
	// One try: true with the transaction left open and the lock held, false with nothing held.
	bool try_once();

	Connection conn_;            // the dedicated connection whose open transaction holds the lock
	std::string second_key_;     // the second key, an integer as text
	std::string what_;           // for messages: schema "public"
	bool held_ = false;
};

// The first key of the run lock ('pgsh' + 2); pgshift.lock_key() ('pgsh') is the extension's
// per-transaction key and 'pgsh' + 1 the background worker's.
inline constexpr int run_lock_key = 1886610294;

}  // namespace pgshift::cli
