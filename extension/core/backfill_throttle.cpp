#include "core/backfill_throttle.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pgshift {

namespace {

std::string format(const char *pattern, double a, double b = 0, double c = 0)
{
	char text[200];
	std::snprintf(text, sizeof(text), pattern, a, b, c);
	return text;
}

// The pause after a batch of `ms` that keeps batches to `duty` of the time.
double pause_for_duty(double ms, double duty)
{
	return duty >= 1.0 ? 0.0 : std::max(ms, 1.0) * (1.0 - duty) / duty;
}

}  // namespace

ThrottleDecision decide_throttle(const ThrottleSettings &settings, const AppLoad &load, int cpus, double last_batch_ms,
                                 std::int64_t last_batch_rows)
{
	ThrottleDecision decision;
	cpus = std::max(cpus, 1);
	const double app_load = std::max(load.active_sessions, load.busy_cpus);
	const std::string measured = format("other work keeps %.1f of %.0f CPUs busy; %.1f active app sessions", load.busy_cpus,
	                                    cpus, load.active_sessions);
	double duty = 1.0;
	if (!settings.load_aware) {
		decision.state = "full speed";
		decision.reason = "full speed: load-aware throttling is off";
	} else if (app_load < ThrottleTuning::idle_load) {
		decision.state = "full speed";
		decision.reason = "full speed: the machine is idle (" + measured + ")";
	} else {
		// The application is active: short batches, and what it leaves of the CPUs.
		decision.batch_target_ms = ThrottleTuning::busy_batch_ms;
		const double free_cpus = static_cast<double>(cpus) - app_load;
		duty = std::clamp(free_cpus, ThrottleTuning::floor_duty, 1.0);
		if (duty >= 1.0) {
			decision.state = "full speed";
			decision.reason = "full speed: a CPU is free (" + measured + ")";
		} else {
			decision.state = "yielding";
			decision.reason = format("yielding: batches run %.0f%% of the time (", duty * 100.0) + measured + ")";
		}
	}
	double pause = pause_for_duty(last_batch_ms, duty);
	if (settings.duty_cycle && *settings.duty_cycle < duty) {
		duty = *settings.duty_cycle;
		const double user_pause = pause_for_duty(last_batch_ms, duty);
		if (user_pause > pause) {
			pause = user_pause;
			decision.state = "duty cycle";
			decision.reason = format("duty cycle: batches run %.0f%% of the time (backfill_configure)", duty * 100.0);
		}
	}
	if (settings.max_rows_per_second && *settings.max_rows_per_second > 0) {
		const double rate = *settings.max_rows_per_second;
		decision.max_batch_rows = rate_batch_cap(rate);
		const double rate_pause = static_cast<double>(last_batch_rows) * 1000.0 / rate - last_batch_ms;
		if (rate_pause > pause) {
			pause = rate_pause;
			decision.state = "rate limit";
			decision.reason = format("rate limit: at most %.0f rows/s (backfill_configure)", rate);
		}
	}
	if (settings.batch_delay_ms > pause) {
		pause = settings.batch_delay_ms;
		decision.state = "delay";
		decision.reason = format("delay: %.0f ms between batches (backfill_configure)", settings.batch_delay_ms);
	}
	decision.pause_ms = std::max(pause, 0.0);
	return decision;
}

std::int32_t rate_batch_cap(double max_rows_per_second)
{
	return static_cast<std::int32_t>(std::max(1.0, std::ceil(max_rows_per_second / 10.0)));
}

void RecentAverage::add(double sample, double at_seconds)
{
	if (!last_at_) {
		value_ = sample;
	} else {
		const double elapsed = std::max(at_seconds - *last_at_, 0.0);
		const double weight = 1.0 - std::exp(-elapsed / seconds_);
		value_ += (sample - value_) * weight;
	}
	last_at_ = at_seconds;
}

void RecentRate::add(std::int64_t rows, double at_seconds)
{
	// Rows done since the previous call, as a rate over the time since then, decayed over ~3 s.
	if (!last_at_) {
		first_at_ = last_at_ = at_seconds;
		return;
	}
	const double elapsed = std::max(at_seconds - *last_at_, 1e-6);
	const double sample = static_cast<double>(rows) / elapsed;
	const double weight = 1.0 - std::exp(-elapsed / 3.0);
	rate_ = *last_at_ == *first_at_ ? sample : rate_ + (sample - rate_) * weight;
	last_at_ = at_seconds;
}

std::optional<double> RecentRate::rows_per_second() const
{
	if (!last_at_ || *last_at_ == *first_at_)
		return std::nullopt;
	return rate_;
}

}  // namespace pgshift
