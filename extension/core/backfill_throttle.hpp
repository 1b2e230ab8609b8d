// How fast the next backfill batch may go: the load-aware throttle (issue 13).
//
// The signal is the application's load against the number of CPUs, the larger of two measures:
// its average number of active sessions (client backends running a statement, on a CPU or waiting
// for a lock or I/O; idle and sleeping ones do not count), and the CPUs the machine's other
// processes keep busy (which also sees clients on the same machine, and sessions whose time goes
// in round trips). What the application leaves free the backfill may take; when it wants every CPU, the backfill runs only a small share
// of the time (the floor, so that it still ends), in short batches that hold their row locks
// briefly. The database idle: full speed, in batches of about 100 ms.
//
// On top, the user's bounds: a maximum rate in rows per second, a duty cycle (the share of the
// time batches may run), a pause between batches; `off` leaves only those.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace pgshift {

struct ThrottleSettings {
	bool load_aware = true;                       // 'auto'; false: 'off'
	std::optional<double> max_rows_per_second;    // none: unbounded
	std::optional<double> duty_cycle;             // (0, 1]; none: 1
	int batch_delay_ms = 0;                       // the job's fixed pause between batches
};

struct ThrottleTuning {
	static constexpr double idle_load = 0.5;        // less app load than this: the machine is idle
	static constexpr double floor_duty = 0.06;      // the share of the time a yielding backfill still runs (bench/brownout.sh)
	static constexpr double busy_batch_ms = 20.0;   // the batch duration aimed at while the app is active
	static constexpr double idle_batch_ms = 100.0;
};

struct ThrottleDecision {
	double pause_ms = 0;                          // before the next batch
	double batch_target_ms = ThrottleTuning::idle_batch_ms;
	std::optional<std::int32_t> max_batch_rows;   // so that a rate bound is met in small steps
	std::string state;                            // 'full speed', 'yielding', 'rate limit', 'duty cycle', 'delay'
	std::string reason;                           // for people: backfill_progress.throttle, the CLI
};

// The application's load lately (averages over about a second).
struct AppLoad {
	double active_sessions = 0;
	double busy_cpus = 0;   // the CPUs busy with other work than the backfill
};

// cpus: the machine's. last_batch_ms / last_batch_rows: the batch just run (0 rows: none yet).
ThrottleDecision decide_throttle(const ThrottleSettings &settings, const AppLoad &load, int cpus, double last_batch_ms,
                                 std::int64_t last_batch_rows);

// The most rows a batch may take under a rate bound: a tenth of a second's, at least 1, so that
// the rate holds over short spans too.
std::int32_t rate_batch_cap(double max_rows_per_second);

// An average over about the last `seconds`, of samples taken at uneven intervals (exponential decay).
class RecentAverage {
public:
	explicit RecentAverage(double seconds) : seconds_(seconds) {}
	void add(double sample, double at_seconds);
	double value() const { return value_; }
	bool empty() const { return !last_at_; }

private:
	double seconds_;
	double value_ = 0;
	std::optional<double> last_at_;
};

// Rows per second over about the last few seconds, pauses included.
class RecentRate {
public:
	void add(std::int64_t rows, double at_seconds);
	std::optional<double> rows_per_second() const;

private:
	std::optional<double> first_at_, last_at_;
	double rate_ = 0;
};

}  // namespace pgshift
