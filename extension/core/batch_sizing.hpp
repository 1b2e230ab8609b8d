// The size of the next backfill batch when the user did not fix one (pgshift.jobs.batch_size NULL).
//
// Small batches spend their time on per-transaction overhead; big ones hold row locks long and
// may run past a second on wide tables or costly `up` expressions. So the size follows the
// measured duration of the previous batch towards a target, at most doubling or halving per step.
#pragma once
#include <cstdint>
#include <optional>

namespace pgshift {

struct BatchSizing {
	static constexpr std::int32_t first = 1000;          // pgroll's fixed size: a safe start anywhere
	static constexpr std::int32_t smallest = 100;
	static constexpr std::int32_t largest = 100000;
	static constexpr double target_ms = 100.0;
};

// `previous_size` rows took `previous_ms`; none yet: BatchSizing::first. `target_ms`: the duration
// aimed at (shorter while the application is active, see backfill_throttle.hpp).
std::int32_t next_batch_size(std::optional<std::int32_t> previous_size, std::optional<double> previous_ms,
                             double target_ms = BatchSizing::target_ms);

}  // namespace pgshift
