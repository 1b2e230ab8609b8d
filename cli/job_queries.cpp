#include "job_queries.hpp"

#include <cstdlib>

#include "lock_timeout.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

std::optional<long long> optional_integer(const Result &rows, int row, int column) {
	if (rows.is_null(row, column))
		return std::nullopt;
	return std::stoll(rows.value(row, column));
}

std::optional<double> optional_number(const Result &rows, int row, int column) {
	if (rows.is_null(row, column))
		return std::nullopt;
	return std::strtod(rows.value(row, column).c_str(), nullptr);
}

}  // namespace

JobsState read_jobs_state(Connection &conn, const GlobalOptions &options) {
	const std::string jobs = conn.quote_identifier(options.state_schema) + ".jobs";
	const std::string migrations = conn.quote_identifier(options.state_schema) + ".migrations";
	// The rate as pgshift.backfill_progress computes it; the estimate only when the server has one
	// (greatest() would turn an unknown estimate into rows_done, i.e. 100%).
	const Result rows = conn.query(
		"SELECT j.migration, j.step, j.kind = 'backfill', coalesce(j.table_name::text, ''), j.state, j.rows_done, "
		"       CASE WHEN j.rows_estimated IS NOT NULL THEN greatest(j.rows_estimated, j.rows_done) END, "
		"       CASE WHEN j.started_at IS NOT NULL AND j.rows_done > 0 "
		"            THEN j.rows_done / greatest(extract(epoch FROM coalesce(j.finished_at, j.updated_at) - j.started_at), 0.001) END, "
		"       extract(epoch FROM coalesce(j.finished_at, pg_catalog.clock_timestamp()) - j.started_at), "
		"       j.statement, coalesce(j.error, ''), j.kind = 'publish', "
		// (0.2.0's jobs have no throttle column: read through to_jsonb, it is just absent there.)
		"       coalesce(pg_catalog.to_jsonb(j) ->> 'throttle', ''), "
		"       coalesce(pg_catalog.to_jsonb(j) ->> 'throttle_state', '') "
		"  FROM " + jobs + " j JOIN " + migrations + " m ON m.schema = j.schema AND m.name = j.migration "
		" WHERE j.schema = $1 AND NOT m.done "
		" ORDER BY j.step",
		{options.schema});
	JobsState state;
	for (int row = 0; row < rows.rows(); ++row) {
		state.migration = rows.value(row, 0);
		JobStatus job;
		job.step = std::stoi(rows.value(row, 1));
		job.is_backfill = rows.value(row, 2) == "t";
		job.table = rows.value(row, 3);
		job.state = rows.value(row, 4);
		job.rows_done = std::stoll(rows.value(row, 5));
		job.rows_estimated = optional_integer(rows, row, 6);
		job.rows_per_second = optional_number(rows, row, 7);
		job.running_seconds = optional_number(rows, row, 8);
		job.statement = rows.value(row, 9);
		job.error = rows.value(row, 10);
		job.is_publish = rows.value(row, 11) == "t";
		job.throttle = rows.value(row, 12);
		job.throttle_state = rows.value(row, 13);
		state.jobs.push_back(std::move(job));
	}
	return state;
}

bool worker_running(Connection &conn, const GlobalOptions &options) {
	return conn.query("SELECT " + state_function(conn, options, "worker_running($1)"), {options.schema}).scalar() ==
	       std::optional<std::string>("t");
}

void resume_jobs(Connection &conn, const GlobalOptions &options) {
	// ensure_worker starts a worker for jobs that can run, and leaves paused or failed jobs as they are.
	query_with_lock_timeout(conn, options, "SELECT " + state_function(conn, options, "ensure_worker($1)"),
	                        {options.schema});
}

}  // namespace pgshift::cli
