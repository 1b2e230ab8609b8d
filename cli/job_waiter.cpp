#include "job_waiter.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include "errors.hpp"
#include "interrupt.hpp"
#include "job_queries.hpp"
#include "job_status.hpp"
#include "progress_display.hpp"
#include "rate_meter.hpp"

namespace pgshift::cli {

namespace {

using steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds poll_interval{250};
constexpr std::chrono::milliseconds sleep_slice{25};
// A worker just launched needs a moment to take its lock (worker_running): resume only after the
// worker was missing at this many polls in a row, not to start a second one for nothing.
constexpr int polls_without_worker_before_resume = 2;
// Resumes that started no worker and changed nothing: the worker cannot start (see the server log).
constexpr int fruitless_resumes_before_giving_up = 10;

std::string still_active_hint(const std::string &migration, const std::string &schema) {
	return "Migration \"" + migration + "\" is still active: 'pgshift rollback' undoes it; " + resume_call(schema) +
	       " retries its jobs, and 'pgshift complete' waits for them and completes it.";
}

Failure job_failed(const JobsState &state, const JobStatus &job, const GlobalOptions &options) {
	return Failure("job " + std::to_string(job.step) + " of migration \"" + state.migration + "\" (" + job_label(job) +
	                   ") failed: " + job.error,
	               "", still_active_hint(state.migration, options.schema));
}

Failure interrupted(const JobsState &state) {
	const std::string which = state.migration.empty() ? "the jobs" : "the jobs of migration \"" + state.migration + "\"";
	return Failure("interrupted while waiting for " + which + "; they go on in the server",
	               "", "Watch pgshift.backfill_progress; 'pgshift complete' waits for the jobs and completes the "
	                   "migration, 'pgshift rollback' undoes it.");
}

// A fingerprint of the jobs' progress, to tell whether anything moved between two polls.
std::string progress_fingerprint(const JobsState &state) {
	std::string fingerprint;
	for (const JobStatus &job : state.jobs)
		fingerprint += job.state + ":" + std::to_string(job.rows_done) + ";";
	return fingerprint;
}

// The current backfill's speed over the last seconds, rather than the server's average since it began.
void use_recent_rate(JobsState &state, RateMeter &meter) {
	for (JobStatus &job : state.jobs) {
		if (job.state == "done")
			continue;
		if (job.is_backfill && job.state == "running") {
			const double now = std::chrono::duration<double>(steady::now().time_since_epoch()).count();
			if (const auto recent = meter.add(job.step, job.rows_done, now))
				job.rows_per_second = recent;
		}
		return;
	}
}

// Sleeps one poll interval, in slices, so that Ctrl-C is seen promptly.
void sleep_one_poll() {
	const auto until = steady::now() + poll_interval;
	while (steady::now() < until && !interrupt::requested())
		std::this_thread::sleep_for(sleep_slice);
}

// Starts the worker again when it has gone missing while jobs remain (a server restart, a crash).
class WorkerKeeper {
public:
	void check(Connection &conn, const GlobalOptions &options, bool running, const JobsState &state) {
		const std::string fingerprint = progress_fingerprint(state);
		if (running || fingerprint != last_fingerprint_)
			fruitless_resumes_ = 0;
		last_fingerprint_ = fingerprint;
		// A paused job waits for whoever paused it.
		if (running || any_paused(state)) {
			polls_without_worker_ = 0;
			return;
		}
		if (++polls_without_worker_ < polls_without_worker_before_resume)
			return;
		if (fruitless_resumes_ >= fruitless_resumes_before_giving_up)
			throw Failure("the pgshift worker of schema \"" + options.schema +
			                  "\" does not start, or stops at once, and the jobs of migration \"" + state.migration +
			                  "\" do not move",
			              "", "See the server log (no free background worker slot: raise max_worker_processes). " +
			                      still_active_hint(state.migration, options.schema));
		resume_jobs(conn, options);
		polls_without_worker_ = 0;
		++fruitless_resumes_;
	}

private:
	int polls_without_worker_ = 0;
	int fruitless_resumes_ = 0;
	std::string last_fingerprint_;
};

}  // namespace

void wait_for_jobs(Connection &conn, const GlobalOptions &options) {
	const auto started = steady::now();
	ProgressDisplay display(std::cerr, stderr_is_terminal());
	WorkerKeeper keeper;
	RateMeter meter;
	JobsState state;
	bool waited = false;
	try {
		while (true) {
			if (interrupt::requested())
				throw interrupted(state);
			// Before the jobs: a worker found gone has committed all it did, so the read below sees it
			// (a job it marked failed is not resumed by mistake).
			const bool running = worker_running(conn, options);
			state = read_jobs_state(conn, options);
			if (const JobStatus *failed = first_in_state(state, "failed"))
				throw job_failed(state, *failed, options);
			if (all_done(state)) {
				if (waited)
					display.finish(state, std::chrono::duration<double>(steady::now() - started).count());
				return;
			}
			waited = true;
			use_recent_rate(state, meter);
			display.show(state);
			keeper.check(conn, options, running, state);
			sleep_one_poll();
		}
	} catch (const DatabaseError &error) {
		// Ctrl-C cancels the poll that happened to run; say why we stop, not the server's "canceling".
		if (interrupt::requested())
			throw interrupted(state);
		if (state.migration.empty())
			throw;
		throw DatabaseError(error.what(), error.sqlstate(), error.detail(),
		                    error.hint().empty() ? still_active_hint(state.migration, options.schema) : error.hint());
	} catch (const Failure &failure) {
		if (!failure.hint().empty() || state.migration.empty())
			throw;
		// A lost connection: the worker does not need us, and a restarted server needs a resume.
		throw Failure(failure.what(), failure.detail(), still_active_hint(state.migration, options.schema));
	}
}

}  // namespace pgshift::cli
