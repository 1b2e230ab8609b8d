// pgshift complete: waits for the active migration's jobs, then completes it (contract) and drops the
// previous version schema.
#include <CLI/CLI.hpp>

#include <memory>

#include "advisory_lock.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "job_waiter.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct CompleteOptions {
	double lock_wait_seconds = 0;
};

void run_complete(const GlobalOptions &options, const CompleteOptions &complete) {
	Connection conn = open_session(options);
	require_extension(conn, options);
	AdvisoryLock lock = AdvisoryLock::for_schema(options, options.schema, complete.lock_wait_seconds);
	// The server refuses to complete before the jobs are done; this also resumes them after a restart.
	wait_for_jobs(conn, options);
	complete_and_report(conn, options);
}

}  // namespace

void add_complete(CLI::App &root, Commands &commands) {
	auto complete = std::make_shared<CompleteOptions>();
	CLI::App *command = root.add_subcommand("complete", "Complete an ongoing migration");
	add_lock_wait_option(*command, complete->lock_wait_seconds);
	commands.push_back({command, [complete](const GlobalOptions &options) { run_complete(options, *complete); }});
}

}  // namespace pgshift::cli
