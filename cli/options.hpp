// Options shared by every command, bound on the root App (fallthrough lets them follow the subcommand).
#pragma once
#include <optional>
#include <string>

namespace CLI {
class App;
class Validator;
}

namespace pgshift::cli {

struct GlobalOptions {
	std::string postgres_url;           // URL or key=value conninfo; empty: libpq's PG* variables apply
	std::string schema = "public";      // the managed schema
	std::string state_schema = "pgshift";  // where the extension lives (its control file pins it)
	// Short lock waits, many tries: while pgshift's DDL waits for a table's lock, the application's
	// queries on it queue behind that request, for as long as lock_timeout. 50 ms keeps that wait
	// short; 30 tries with backoff (lock_retry.cpp) keep about the minute of waiting for a long
	// transaction to end that 500 ms and 10 tries gave (bench/lock_wait.sh).
	int lock_timeout_ms = 50;           // lock_timeout for the migration's DDL; 0 leaves the server's
	int lock_retries = 30;              // tries again after a lock timeout, with backoff and jitter
	bool verbose = false;

	// The URL the user gave, or nothing, so libpq falls back to PGHOST, PGDATABASE, ...
	std::optional<std::string> url() const {
		if (postgres_url.empty())
			return std::nullopt;
		return postgres_url;
	}
};

// Adds --postgres-url, --schema, --pgshift-schema, --lock-timeout, --verbose and their environment
// variables to the root App.
void add_global_options(CLI::App &app, GlobalOptions &options);

// Accepts numbers >= 0 (CLI::NonNegativeNumber's message prints the whole double range).
const CLI::Validator &non_negative();

// The schema the extension is always created in (schema = pgshift in pgshift.control).
inline constexpr const char *extension_schema = "pgshift";

}  // namespace pgshift::cli
