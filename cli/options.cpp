#include "options.hpp"

#include <CLI/CLI.hpp>

namespace pgshift::cli {

const CLI::Validator &non_negative() {
	static const CLI::Validator validator(
		[](std::string &input) -> std::string {
			try {
				size_t used = 0;
				const double value = std::stod(input, &used);
				if (used != input.size())
					return "\"" + input + "\" is not a number";
				return value < 0 ? "must not be negative, got " + input : "";
			} catch (const std::exception &) {
				return "\"" + input + "\" is not a number";
			}
		},
		"NONNEGATIVE");
	return validator;
}

void add_global_options(CLI::App &app, GlobalOptions &options) {
	app.add_option("--postgres-url", options.postgres_url,
	               "Postgres URL or key=value connection string (default: libpq's PG* environment variables)")
		->envname("PGSHIFT_PG_URL");
	app.add_option("--schema", options.schema, "Postgres schema to migrate")
		->envname("PGSHIFT_SCHEMA")
		->capture_default_str();
	app.add_option("--pgshift-schema", options.state_schema, "Schema where the pgshift extension lives")
		->envname("PGSHIFT_STATE_SCHEMA")
		->capture_default_str();
	app.add_option("--lock-timeout", options.lock_timeout_ms,
	               "Postgres lock timeout in milliseconds for pgshift's DDL (0: server default)")
		->envname("PGSHIFT_LOCK_TIMEOUT")
		->check(non_negative())
		->capture_default_str();
	app.add_option("--lock-retries", options.lock_retries,
	               "How many times a command that hit the lock timeout is tried again (with backoff and jitter)")
		->envname("PGSHIFT_LOCK_RETRIES")
		->check(non_negative())
		->capture_default_str();
	app.add_flag("--verbose", options.verbose, "Print server notices, the connection and SQLSTATEs of errors")
		->envname("PGSHIFT_VERBOSE");
}

}  // namespace pgshift::cli
