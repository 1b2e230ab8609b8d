// pgshift rollback: undoes the active migration and drops its version schema.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "advisory_lock.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct RollbackOptions {
	double lock_wait_seconds = 0;
};

void run_rollback(const GlobalOptions &options, const RollbackOptions &rollback) {
	Connection conn = open_session(options);
	require_extension(conn, options);
	AdvisoryLock lock = AdvisoryLock::for_schema(options, options.schema, rollback.lock_wait_seconds);
	call_json_function(conn, options, "rollback($1)", {options.schema});
	std::cout << "Migration rolled back. Changes made since the last version have been reverted" << std::endl;
}

}  // namespace

void add_rollback(CLI::App &root, Commands &commands) {
	auto rollback = std::make_shared<RollbackOptions>();
	CLI::App *command = root.add_subcommand("rollback", "Roll back an ongoing migration");
	add_lock_wait_option(*command, rollback->lock_wait_seconds);
	commands.push_back({command, [rollback](const GlobalOptions &options) { run_rollback(options, *rollback); }});
}

}  // namespace pgshift::cli
