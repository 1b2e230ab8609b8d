// pgshift backfill-configure: changes how the running backfills of --schema are paced, as
// pgshift.backfill_configure does (the worker applies it within about a second). Only the options
// given change; the others stay as they are.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands/backfill_options.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "errors.hpp"
#include "extension_versions.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct ConfigureOptions {
	BackfillOptions backfill;
	long long batch_size = -1;        // -1: not given; 0: adaptive
	std::string batch_delay;          // "": not given
	std::string max_replication_lag;  // "": not given
};

void run_backfill_configure(const GlobalOptions &options, const ConfigureOptions &configure) {
	Connection conn = open_session(options);
	require_extension(conn, options);
	require_throttle_support(conn, configure.backfill);
	if (!configure.max_replication_lag.empty() &&
	    compare_versions(installed_extension_version(conn).value_or(""), "0.3.0") < 0)
		throw Failure("--max-replication-lag needs the pgshift extension at 0.3.0 or later; run ALTER EXTENSION pgshift UPDATE");
	std::vector<std::string> arguments;
	std::vector<Param> params{options.schema};
	auto named = [&](const std::string &name, const std::string &type, const std::string &value) {
		params.push_back(value);
		arguments.push_back(name + " => $" + std::to_string(params.size()) + "::" + type);
	};
	if (configure.batch_size >= 0)
		named("batch_size", "integer", std::to_string(configure.batch_size));
	if (!configure.batch_delay.empty())
		named("batch_delay_ms", "integer", std::to_string(delay_milliseconds(configure.batch_delay)));
	if (!configure.max_replication_lag.empty())
		named("max_replication_lag_ms", "integer", std::to_string(delay_milliseconds(configure.max_replication_lag)));
	if (!configure.backfill.throttle.empty())
		named("throttle", "text", configure.backfill.throttle);
	if (configure.backfill.max_rows_per_second >= 0)
		named("max_rows_per_second", "integer", std::to_string(configure.backfill.max_rows_per_second));
	if (configure.backfill.duty_cycle > 0) {
		char exact[32];   // (std::to_string keeps 6 decimals: 1e-7 would be sent as 0)
		std::snprintf(exact, sizeof(exact), "%.9g", configure.backfill.duty_cycle);
		named("duty_cycle", "real", exact);
	}
	if (arguments.empty())
		throw Failure("nothing to change: give at least one of --throttle, --max-rows-per-second, --duty-cycle, "
		              "--backfill-batch-size, --backfill-batch-delay, --max-replication-lag");
	std::string call = "SELECT " + state_function(conn, options, "backfill_configure") + "($1";
	for (const std::string &argument : arguments)
		call += ", " + argument;
	call += ")";
	conn.query(call, params);
	std::cout << "The backfills of schema \"" << options.schema << "\" take the new settings within a second" << std::endl;
}

}  // namespace

void add_backfill_configure(CLI::App &root, Commands &commands) {
	auto configure = std::make_shared<ConfigureOptions>();
	CLI::App *command = root.add_subcommand("backfill-configure", "Change how the running backfill is paced");
	add_throttle_options(*command, configure->backfill);
	command->add_option("--backfill-batch-size", configure->batch_size, "Rows per batch (0: adapted by the server)")
		->check(CLI::Range(0LL, static_cast<long long>(std::numeric_limits<int>::max())));
	command->add_option("--backfill-batch-delay", configure->batch_delay, "Pause between batches, as a duration: 0, 100ms, 1s")
		->check(go_delay());
	command->add_option("--max-replication-lag", configure->max_replication_lag,
	                    "Wait while a physical standby replays more than this far behind, as a duration (0: never)")
		->check(go_delay());
	commands.push_back({command, [configure](const GlobalOptions &options) { run_backfill_configure(options, *configure); }});
}

}  // namespace pgshift::cli
