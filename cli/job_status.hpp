// The jobs of the active migration (pgshift.jobs: backfills and statements such as CREATE INDEX
// CONCURRENTLY that the server's background worker runs after start), and how to describe them to the
// user while the CLI waits for them. Pure: job_queries.hpp reads them from the server.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace pgshift::cli {

struct JobStatus {
	int step = 0;
	bool is_backfill = false;
	bool is_publish = false;                  // the last job of a migration with backfills: opening its version
	std::string table;                        // backfill: the physical table it fills
	std::string state;                        // pending, running, paused, done or failed
	long long rows_done = 0;
	std::optional<long long> rows_estimated;  // backfill: rows of the table, when the server knows
	std::optional<double> rows_per_second;    // backfill: since it started
	std::optional<double> running_seconds;    // since the job started
	std::string statement;                    // sql: what it runs
	std::string error;                        // failed: why
	std::string throttle;                     // backfill: why it is paced as it is, or waits ("" when unknown)
	std::string throttle_state;               // backfill (0.4.0 on): full speed, yielding, rate limit, duty cycle,
	                                          // delay, waiting for standbys ("" from older servers)
};

struct JobsState {
	std::string migration;          // the active migration (empty when there is none)
	std::vector<JobStatus> jobs;    // its jobs, in the order they run
};

bool all_done(const JobsState &state);
// Whether the backfill stands still, waiting for a standby (its throttle says why).
bool waiting_for_standbys(const JobStatus &job);
bool any_paused(const JobsState &state);
// The first job in the given state, or nullptr.
const JobStatus *first_in_state(const JobsState &state, const std::string &job_state);
// The job that is being worked on (the first one not done), or nullptr.
const JobStatus *current_job(const JobsState &state);

// backfill of "items", or the job's statement on one line, shortened.
std::string job_label(const JobStatus &job);
// 1234567 -> "1,234,567"
std::string format_count(long long count);
// 0.4 -> "0.4s", 42 -> "42s", 90 -> "1m30s", 3700 -> "1h1m40s"
std::string format_seconds(double seconds);
// A text progress bar of `width` characters, [#####.....], for fraction in [0, 1].
std::string progress_bar(double fraction, int width);

// How far a job is: "450,000/1,000,000 rows (45%), 112,000 rows/s", "running for 3.2s", "pending"...
std::string job_progress(const JobStatus &job);
// For logs, printed every few seconds: migration "m": job 1 of 2, backfill of "items": <progress>
std::string plain_progress_line(const JobsState &state);
// For a terminal, redrawn in place, at most `columns` - 1 characters (no wrapping, which would break
// the redraw): [1/2] backfill of "items" [####....] 45% 450,000/1,000,000 rows 112,000 rows/s ETA 5s
std::string terminal_progress_line(const JobsState &state, int columns);
// Once everything is done: migration "m": 2 jobs done in 9.6s (backfill of "items": 1,000,000 rows)
std::string done_line(const JobsState &state, double waited_seconds);

// The SQL that resumes the schema's jobs, for messages: SELECT pgshift.backfill_resume('public')
std::string resume_call(const std::string &schema);

}  // namespace pgshift::cli
