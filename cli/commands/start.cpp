// pgshift start FILE [--complete]: starts a migration (expand) and creates its version schema, then
// waits for its jobs (backfills, concurrent index builds), which the server's worker runs.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "advisory_lock.hpp"
#include "commands/backfill_options.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "job_status.hpp"
#include "job_waiter.hpp"
#include "migration_file.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct StartOptions {
	std::string file;
	bool complete = false;
	bool no_wait = false;
	double lock_wait_seconds = 0;
	BackfillOptions backfill;
};

void run_start(const GlobalOptions &options, const StartOptions &start) {
	// Read and parse first: a bad file must not reach the server at all.
	const MigrationFile migration = read_migration_file(start.file);
	Connection conn = open_session(options);
	require_extension(conn, options);
	require_throttle_support(conn, start.backfill);
	AdvisoryLock lock = AdvisoryLock::for_schema(options, options.schema, start.lock_wait_seconds);

	const auto result = call_json_function(conn, options, "start($1, $2::jsonb, $3::jsonb)",
	                                       {options.schema, migration.body.dump(), start_options(start.backfill).dump()});
	const bool already_complete = result.value("already_applied", false) && result.value("status", "") == "Complete";
	if (already_complete) {
		// Another run applied this very migration (or this one did, before it was killed).
		std::cout << "Migration \"" << result.value("name", migration.name) << "\" is already complete" << std::endl;
		return;
	}
	const auto version_schema = result.find("version_schema");
	const bool has_version = version_schema != result.end() && version_schema->is_string();
	const std::string version = has_version ? version_schema->get<std::string>() : "";
	// A version whose tables are backfilled opens when the backfill is done (the server's worker
	// publishes it): until then it would show rows without their new values.
	const bool published = result.value("published", true);
	auto announce = [&]() {
		if (has_version)
			std::cout << "New version of the schema available under the postgres \"" << version << "\" schema" << std::endl;
		else
			std::cout << "Migration \"" << result.value("name", migration.name) << "\" started successfully" << std::endl;
	};
	if (published)
		announce();
	if (!result.value("worker", true))
		std::cerr << "Warning: no background worker slot is free on the server: the jobs of migration \""
		          << result.value("name", migration.name)
		          << "\" wait for one (raise max_worker_processes); pgshift tries again while it waits, and "
		          << resume_call(options.schema) << " starts them later" << std::endl;

	if (start.no_wait) {
		if (!published)
			std::cout << "Migration \"" << result.value("name", migration.name) << "\" started; its version schema \"" << version
			          << "\" opens once the backfill is done (watch pgshift.backfill_progress)" << std::endl;
		return;
	}
	// As pgroll's start, which returns once the backfills are done.
	wait_for_jobs(conn, options);
	if (!published)
		announce();
	if (start.complete)
		complete_and_report(conn, options);
}

}  // namespace

void add_start(CLI::App &root, Commands &commands) {
	auto start = std::make_shared<StartOptions>();
	CLI::App *command = root.add_subcommand("start", "Start a migration for the operations present in the given file");
	// No ExistingFile check here: a missing file is a runtime error (exit 1) like an unreadable one.
	command->add_option("file", start->file, "Migration file (.json, .yaml or .yml)")->required();
	CLI::Option *complete =
		command->add_flag("-c,--complete", start->complete, "Mark the migration as complete right after starting it");
	command->add_flag("--no-wait", start->no_wait,
	                  "Return once started, without waiting for the backfills and index builds ('complete' waits)")
		->excludes(complete);
	add_backfill_options(*command, start->backfill);
	add_lock_wait_option(*command, start->lock_wait_seconds);
	command->footer(
		"After starting the migration, start waits until the server's background worker has run its jobs\n"
		"(backfills of new columns, concurrent index builds), showing their progress on stderr. The worker\n"
		"does not need the client: Ctrl-C stops waiting, not the jobs. Watch them in pgshift.backfill_progress.");
	commands.push_back({command, [start](const GlobalOptions &options) { run_start(options, *start); }});
}

}  // namespace pgshift::cli
