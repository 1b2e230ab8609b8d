#include "core/batch_sizing.hpp"

#include <algorithm>

namespace pgshift {

std::int32_t next_batch_size(std::optional<std::int32_t> previous_size, std::optional<double> previous_ms,
                             double target_ms)
{
	if (!previous_size || *previous_size <= 0 || !previous_ms)
		return BatchSizing::first;
	// A batch faster than the clock's resolution counts as 1 ms: the size then doubles.
	const double factor = std::clamp(target_ms / std::max(*previous_ms, 1.0), 0.5, 2.0);
	const double next = static_cast<double>(*previous_size) * factor;
	return static_cast<std::int32_t>(
		std::clamp(next, static_cast<double>(BatchSizing::smallest), static_cast<double>(BatchSizing::largest)));
}

}  // namespace pgshift
