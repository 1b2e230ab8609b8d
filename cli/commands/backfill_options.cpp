#include "commands/backfill_options.hpp"

#include <CLI/CLI.hpp>

#include <limits>
#include <stdexcept>

#include "connection.hpp"
#include "duration.hpp"
#include "errors.hpp"
#include "extension_versions.hpp"
#include "session.hpp"

namespace pgshift::cli {

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
	add_throttle_options(command, backfill);
}

void add_throttle_options(CLI::App &command, BackfillOptions &backfill) {
	command.add_option("--throttle", backfill.throttle,
	                   "auto: the backfill yields to the application's load (full speed when the machine is idle); "
	                   "off: it does not (default: the server's pgshift.backfill_throttle, auto)")
		->envname("PGSHIFT_THROTTLE")
		->check(CLI::IsMember({"auto", "off"}));
	command.add_option("--max-rows-per-second", backfill.max_rows_per_second,
	                   "The most rows a second the backfill writes (0: no bound)")
		->envname("PGSHIFT_MAX_ROWS_PER_SECOND")
		->check(CLI::Range(0LL, static_cast<long long>(std::numeric_limits<int>::max())));
	command.add_option("--duty-cycle", backfill.duty_cycle,
	                   "The share of the time the backfill's batches may run, over 0 and at most 1 (0.25: a quarter)")
		->envname("PGSHIFT_DUTY_CYCLE")
		->check(CLI::Validator(
			[](std::string &input) -> std::string {
				try {
					size_t used = 0;
					const double value = std::stod(input, &used);
					if (used == input.size() && value > 0 && value <= 1)
						return "";
				} catch (const std::exception &) {
				}
				return "must be a number over 0 and at most 1, got \"" + input + "\"";
			},
			"FRACTION"));
}

bool throttle_given(const BackfillOptions &backfill) {
	return !backfill.throttle.empty() || backfill.max_rows_per_second >= 0 || backfill.duty_cycle > 0;
}

void require_throttle_support(Connection &conn, const BackfillOptions &backfill) {
	if (!throttle_given(backfill))
		return;
	const std::string installed = installed_extension_version(conn).value_or("");
	if (compare_versions(installed, "0.4.0") < 0)
		throw Failure("--throttle, --max-rows-per-second and --duty-cycle need the pgshift extension at 0.4.0 or later; "
		              "this database has " + installed + ": run ALTER EXTENSION pgshift UPDATE, or leave them out");
}

nlohmann::ordered_json start_options(const BackfillOptions &backfill) {
	nlohmann::ordered_json options;
	if (backfill.batch_size > 0)
		options["backfill_batch_size"] = backfill.batch_size;
	options["backfill_batch_delay_ms"] = delay_milliseconds(backfill.batch_delay);
	if (!backfill.max_replication_lag.empty())
		options["max_replication_lag_ms"] = delay_milliseconds(backfill.max_replication_lag);
	if (!backfill.throttle.empty())
		options["throttle"] = backfill.throttle;
	if (backfill.max_rows_per_second >= 0)
		options["max_rows_per_second"] = backfill.max_rows_per_second;
	if (backfill.duty_cycle > 0)
		options["duty_cycle"] = backfill.duty_cycle;
	return options;
}

}  // namespace pgshift::cli
