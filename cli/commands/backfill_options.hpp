// --backfill-batch-size and --backfill-batch-delay, as pgroll's, and --max-replication-lag, on start
// and migrate: how the server's worker paces the backfills of the migrations they start
// (pgshift.start's options).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace CLI {
class App;
}

namespace pgshift::cli {

struct BackfillOptions {
	int batch_size = 0;              // 0: not given, the server adapts it (~100 ms batches)
	std::string batch_delay = "0";   // a Go duration, checked when parsed
	std::string max_replication_lag;  // a Go duration; "" = the server's setting (pgshift.max_replication_lag)
};

void add_backfill_options(CLI::App &command, BackfillOptions &backfill);

// {"backfill_batch_size": N (only when given), "backfill_batch_delay_ms": M,
//  "max_replication_lag_ms": L (only when given)}, the options argument of pgshift.start.
nlohmann::ordered_json start_options(const BackfillOptions &backfill);

}  // namespace pgshift::cli
