#include "commands/backfill_options.hpp"

#include <CLI/CLI.hpp>

#include <limits>
#include <stdexcept>

#include "duration.hpp"

namespace pgshift::cli {

namespace {

// The delay in whole milliseconds (pgshift.jobs.batch_delay_ms is an integer); throws on bad input.
long long delay_milliseconds(const std::string &text) {
	const auto duration = parse_go_duration(text);
	if (duration.count() < 0)
		throw std::invalid_argument("must not be negative, got \"" + text + "\"");
	const long long milliseconds = whole_milliseconds_rounded_up(duration);
	if (milliseconds > std::numeric_limits<int>::max())
		throw std::out_of_range("\"" + text + "\" is too long a delay between batches");
	return milliseconds;
}

const CLI::Validator &go_delay() {
	static const CLI::Validator validator(
		[](std::string &input) -> std::string {
			try {
				delay_milliseconds(input);
				return "";
			} catch (const std::exception &error) {
				return error.what();
			}
		},
		"DURATION");
	return validator;
}

}  // namespace

void add_backfill_options(CLI::App &command, BackfillOptions &backfill) {
	command.add_option("--backfill-batch-size", backfill.batch_size,
	                   "Number of rows backfilled in each batch (default: adapted by the server so that a batch "
	                   "takes about 100 ms, starting at 1000)")
		->envname("PGSHIFT_BACKFILL_BATCH_SIZE")
		->check(CLI::Range(1, std::numeric_limits<int>::max()));
	command.add_option("--backfill-batch-delay", backfill.batch_delay,
	                   "Pause between backfill batches, as a duration: 0, 100ms, 1s, 1m30s")
		->envname("PGSHIFT_BACKFILL_BATCH_DELAY")
		->check(go_delay())
		->capture_default_str();
	command.add_option("--max-replication-lag", backfill.max_replication_lag,
	                   "The backfill waits while a physical standby replays more than this far behind, as a duration "
	                   "(0: never waits; default: the server's pgshift.max_replication_lag, 1s)")
		->envname("PGSHIFT_MAX_REPLICATION_LAG")
		->check(go_delay());
}

nlohmann::ordered_json start_options(const BackfillOptions &backfill) {
	nlohmann::ordered_json options;
	if (backfill.batch_size > 0)
		options["backfill_batch_size"] = backfill.batch_size;
	options["backfill_batch_delay_ms"] = delay_milliseconds(backfill.batch_delay);
	if (!backfill.max_replication_lag.empty())
		options["max_replication_lag_ms"] = delay_milliseconds(backfill.max_replication_lag);
	return options;
}

}  // namespace pgshift::cli
