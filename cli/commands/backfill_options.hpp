// --backfill-batch-size and --backfill-batch-delay, as pgroll's, and --max-replication-lag, --throttle,
// --max-rows-per-second and --duty-cycle, on start and migrate: how the server's worker paces the
// backfills of the migrations they start (pgshift.start's options); `pgshift backfill-configure`
// changes them while the backfill runs.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace CLI {
class App;
class Validator;
}

namespace pgshift::cli {

struct BackfillOptions {
	int batch_size = 0;              // 0: not given, the server adapts it (~100 ms batches)
	std::string batch_delay = "0";   // a Go duration, checked when parsed
	std::string max_replication_lag;  // a Go duration; "" = the server's setting (pgshift.max_replication_lag)
	std::string throttle;            // auto, off; "" = the server's setting (pgshift.backfill_throttle)
	long long max_rows_per_second = -1;   // -1: not given; 0: no bound
	double duty_cycle = -1;          // -1: not given; (0, 1]
};

void add_backfill_options(CLI::App &command, BackfillOptions &backfill);
// The throttle's own three (also on backfill-configure).
void add_throttle_options(CLI::App &command, BackfillOptions &backfill);
// Whether any of those was given (they need the extension at 0.4.0 or later).
bool throttle_given(const BackfillOptions &backfill);
// Refuses throttle options the extension in this database does not know, naming the update to run.
class Connection;
void require_throttle_support(Connection &conn, const BackfillOptions &backfill);

// {"backfill_batch_size": N (only when given), "backfill_batch_delay_ms": M,
//  "max_replication_lag_ms": L, "throttle": T, "max_rows_per_second": R, "duty_cycle": D (each only
//  when given)}, the options argument of pgshift.start.
nlohmann::ordered_json start_options(const BackfillOptions &backfill);

// A duration option's value in whole milliseconds (checked when parsed), and its check.
long long delay_milliseconds(const std::string &text);
const CLI::Validator &go_delay();

}  // namespace pgshift::cli
