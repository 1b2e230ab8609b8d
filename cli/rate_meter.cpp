#include "rate_meter.hpp"

namespace pgshift::cli {

std::optional<double> RateMeter::add(int step, long long rows_done, double seconds) {
	if (step != step_ || (!samples_.empty() && rows_done < samples_.back().second)) {
		samples_.clear();
		step_ = step;
	}
	samples_.emplace_back(seconds, rows_done);
	// Keep one sample at or beyond the window's start, so the span covers the whole window.
	while (samples_.size() > 2 && seconds - samples_[1].first >= window_)
		samples_.pop_front();
	const auto &[first_seconds, first_rows] = samples_.front();
	const double span = seconds - first_seconds;
	if (span < min_span_)
		return std::nullopt;
	return static_cast<double>(rows_done - first_rows) / span;
}

}  // namespace pgshift::cli
