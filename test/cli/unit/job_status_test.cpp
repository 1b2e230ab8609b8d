// How the CLI describes the jobs it waits for.
#include <gtest/gtest.h>

#include "job_status.hpp"

namespace pgshift::cli {
namespace {

JobStatus backfill(const std::string &table, const std::string &state, long long done, std::optional<long long> estimated,
                   std::optional<double> rate) {
	JobStatus job;
	job.step = 1;
	job.is_backfill = true;
	job.table = table;
	job.state = state;
	job.rows_done = done;
	job.rows_estimated = estimated;
	job.rows_per_second = rate;
	return job;
}

JobStatus statement(const std::string &sql, const std::string &state) {
	JobStatus job;
	job.step = 2;
	job.statement = sql;
	job.state = state;
	return job;
}

TEST(JobStatus, FindsTheCurrentJobAndStates) {
	JobsState state{"02_m", {backfill("items", "done", 10, 10, 5.0), statement("CREATE INDEX", "pending")}};
	EXPECT_FALSE(all_done(state));
	EXPECT_EQ(current_job(state), &state.jobs[1]);
	EXPECT_EQ(first_in_state(state, "failed"), nullptr);
	EXPECT_FALSE(any_paused(state));
	state.jobs[1].state = "paused";
	EXPECT_TRUE(any_paused(state));
	state.jobs[1].state = "done";
	EXPECT_TRUE(all_done(state));
	EXPECT_EQ(current_job(state), nullptr);
	EXPECT_TRUE(all_done(JobsState{}));
}

TEST(JobStatus, LabelsBackfillsAndStatements) {
	EXPECT_EQ(job_label(backfill("items", "running", 0, {}, {})), "backfill of \"items\"");
	EXPECT_EQ(job_label(statement("CREATE INDEX CONCURRENTLY\n   \"i\"  ON t (c)\n", "pending")),
	          "CREATE INDEX CONCURRENTLY \"i\" ON t (c)");
	const std::string long_statement = "CREATE UNIQUE INDEX CONCURRENTLY \"_pgshift_dup_items_label_key\" ON \"public\".\"items\" (\"label\")";
	const std::string label = job_label(statement(long_statement, "pending"));
	EXPECT_EQ(label.size(), 60u);
	EXPECT_EQ(label.substr(57), "...");
}

TEST(JobStatus, FormatsCountsSecondsAndBars) {
	EXPECT_EQ(format_count(0), "0");
	EXPECT_EQ(format_count(999), "999");
	EXPECT_EQ(format_count(1000), "1,000");
	EXPECT_EQ(format_count(1234567), "1,234,567");
	EXPECT_EQ(format_count(-1234), "-1,234");
	EXPECT_EQ(format_seconds(0.44), "0.4s");
	EXPECT_EQ(format_seconds(9.6), "9.6s");
	EXPECT_EQ(format_seconds(42), "42s");
	EXPECT_EQ(format_seconds(90), "1m30s");
	EXPECT_EQ(format_seconds(3700), "1h1m40s");
	EXPECT_EQ(progress_bar(0.5, 12), "[#####.....]");
	EXPECT_EQ(progress_bar(0.5, 12).size(), 12u);
	EXPECT_EQ(progress_bar(2, 6), "[####]");
	EXPECT_EQ(progress_bar(-1, 6), "[....]");
}

TEST(JobStatus, DescribesProgress) {
	EXPECT_EQ(job_progress(backfill("items", "running", 450000, 1000000, 112000.4)),
	          "450,000/1,000,000 rows (45%), 112,000 rows/s");
	EXPECT_EQ(job_progress(backfill("items", "running", 4500, {}, 100.0)), "4,500 rows, 100 rows/s");
	EXPECT_EQ(job_progress(backfill("items", "pending", 0, 10, {})), "pending");
	EXPECT_EQ(job_progress(backfill("items", "paused", 5, 10, 3.0)), "paused at 5/10 rows (50%)");
	JobStatus failed = backfill("items", "failed", 5, 10, 3.0);
	failed.error = "division by zero";
	EXPECT_EQ(job_progress(failed), "failed: division by zero");
	JobStatus index = statement("CREATE INDEX CONCURRENTLY i ON t (c)", "running");
	index.running_seconds = 3.25;
	EXPECT_EQ(job_progress(index), "running for 3.2s");
	JobStatus waiting = backfill("items", "running", 5, 10, 3.0);
	waiting.throttle = "waiting for standby \"s1\": 1500 ms behind";
	EXPECT_EQ(job_progress(waiting), "5/10 rows (50%), 3 rows/s; waiting for standby \"s1\": 1500 ms behind");
	// On a terminal, the reason instead of a bar that stands still.
	EXPECT_EQ(terminal_progress_line(JobsState{"02_m", {waiting}}, 200),
	          "backfill of \"items\" 5/10 rows (50%), 3 rows/s; waiting for standby \"s1\": 1500 ms behind");
	// 0.4.0 on, the state tells waiting from being paced.
	waiting.throttle_state = "waiting for standbys";
	EXPECT_EQ(terminal_progress_line(JobsState{"02_m", {waiting}}, 200),
	          "backfill of \"items\" 5/10 rows (50%), 3 rows/s; waiting for standby \"s1\": 1500 ms behind");
}

TEST(JobStatus, ThePacingIsShownBesideTheProgress) {
	JobStatus yielding = backfill("items", "running", 5, 10, 3.0);
	yielding.throttle_state = "yielding";
	yielding.throttle = "yielding: batches run 15% of the time (other work keeps 1.9 of 2 CPUs busy; 1.1 active app sessions)";
	EXPECT_EQ(job_progress(yielding), "5/10 rows (50%), 3 rows/s; " + yielding.throttle);
	const std::string line = terminal_progress_line(JobsState{"02_m", {yielding}}, 120);
	EXPECT_NE(line.find("[#"), std::string::npos) << line;   // still a bar: it moves
	EXPECT_NE(line.find("ETA 1.7s (yielding)"), std::string::npos) << line;
	yielding.throttle_state = "full speed";
	yielding.throttle = "full speed: the machine is idle";
	EXPECT_EQ(terminal_progress_line(JobsState{"02_m", {yielding}}, 120).find("full speed"), std::string::npos);
}

TEST(JobStatus, PlainLinesNameTheMigrationAndTheJob) {
	JobsState one{"02_m", {backfill("items", "running", 450000, 1000000, 112000)}};
	EXPECT_EQ(plain_progress_line(one), "migration \"02_m\": backfill of \"items\": 450,000/1,000,000 rows (45%), 112,000 rows/s");
	JobsState two{"02_m", {backfill("items", "done", 10, 10, 5.0), statement("CREATE INDEX CONCURRENTLY i ON t (c)", "pending")}};
	EXPECT_EQ(plain_progress_line(two), "migration \"02_m\": job 2 of 2, CREATE INDEX CONCURRENTLY i ON t (c): pending");
}

TEST(JobStatus, TerminalLinesHaveABarAndFitTheWidth) {
	JobsState state{"02_m", {backfill("items", "running", 500000, 1000000, 100000)}};
	EXPECT_EQ(terminal_progress_line(state, 200),
	          "backfill of \"items\" [###############...............] 50% 500,000/1,000,000 rows 100,000 rows/s ETA 5.0s");
	EXPECT_EQ(terminal_progress_line(state, 80),
	          "backfill of \"items\" [#######........] 50% 500,000/1,000,000 rows 100,000 rows/s");
	EXPECT_EQ(terminal_progress_line(state, 80).size(), 79u);
	EXPECT_EQ(terminal_progress_line(state, 60), "backfill of \"items\" [#####.....] 50% 500,000/1,000,000 rows");
	EXPECT_EQ(terminal_progress_line(state, 40), "backfill of \"items\" 50% 500,000/1,000,0");
	EXPECT_EQ(terminal_progress_line(state, 30).size(), 29u);
	JobsState unknown{"02_m", {backfill("items", "running", 500, {}, 100)}};
	EXPECT_EQ(terminal_progress_line(unknown, 200), "backfill of \"items\" 500 rows, 100 rows/s");
	JobsState two{"02_m", {backfill("items", "done", 10, 10, 5.0), statement("CREATE INDEX CONCURRENTLY i ON t (c)", "pending")}};
	EXPECT_EQ(terminal_progress_line(two, 200), "[2/2] CREATE INDEX CONCURRENTLY i ON t (c) pending");
}

TEST(JobStatus, DoneLineSumsUpTheBackfills) {
	JobsState state{"02_m", {backfill("items", "done", 1000000, 1000000, 1.0), statement("CREATE INDEX", "done")}};
	EXPECT_EQ(done_line(state, 9.64), "migration \"02_m\": 2 jobs done in 9.6s (backfill of \"items\": 1,000,000 rows)");
	JobsState index{"03_i", {statement("CREATE INDEX", "done")}};
	EXPECT_EQ(done_line(index, 0.2), "migration \"03_i\": 1 job done in 0.2s");
	JobStatus open = statement("SELECT pgshift.publish_version('public', '04_p')", "done");
	open.is_publish = true;
	JobsState published{"04_p", {backfill("items", "done", 10, 10, 1.0), open}};
	EXPECT_EQ(done_line(published, 1.0),
	          "migration \"04_p\": 2 jobs done in 1.0s (backfill of \"items\": 10 rows; new version opened)");
	EXPECT_EQ(job_label(open), "opening the new version schema");
}

TEST(JobStatus, ResumeCallQuotesTheSchema) {
	EXPECT_EQ(resume_call("public"), "SELECT pgshift.backfill_resume('public')");
	EXPECT_EQ(resume_call("o'brien"), "SELECT pgshift.backfill_resume('o''brien')");
}

}  // namespace
}  // namespace pgshift::cli
