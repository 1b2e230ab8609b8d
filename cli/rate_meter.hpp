// The recent speed of a backfill, from what the CLI saw at its last polls. The server's own rate
// (pgshift.backfill_progress.rows_per_second) averages since the backfill began, downtime included: after
// a restart or a pause it would be far too low, and so the ETA far too long.
#pragma once
#include <deque>
#include <optional>
#include <utility>

namespace pgshift::cli {

class RateMeter {
public:
	// Samples older than `window_seconds` are forgotten; no rate before `min_span_seconds` of samples.
	explicit RateMeter(double window_seconds = 5, double min_span_seconds = 1)
		: window_(window_seconds), min_span_(min_span_seconds) {}

	// Records rows_done of job `step` at `seconds` (any steady clock) and returns the rows per second
	// over the window, or nothing while the samples span too little time. Another step, or fewer rows
	// than before (a retried job), starts over.
	std::optional<double> add(int step, long long rows_done, double seconds);

private:
	double window_;
	double min_span_;
	int step_ = -1;
	std::deque<std::pair<double, long long>> samples_;   // (seconds, rows_done), oldest first
};

}  // namespace pgshift::cli
