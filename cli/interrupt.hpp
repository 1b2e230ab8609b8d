// Ctrl-C while a migration function runs: ask the server to cancel the statement (its transaction then
// rolls back, so the database stays as it was) instead of leaving it running after the client is gone.
#pragma once
#include <libpq-fe.h>

namespace pgshift::cli::interrupt {

// Installs the SIGINT/SIGTERM handler; call once at startup.
void install();

// The connection whose running statement a signal cancels (one at a time: the one that runs the
// migration's calls; the run lock's connection only waits, see advisory_lock.hpp).
void watch(PGconn *conn);
void unwatch(PGconn *conn);

// Whether a signal arrived; loops that wait (the advisory lock) stop when it did.
bool requested();

}  // namespace pgshift::cli::interrupt
