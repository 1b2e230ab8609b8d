// pgshift migrate DIR [--complete]: applies the files of DIR the database has not seen yet, in order.
// Every one but the last is started and completed; the last is only started, unless --complete. After
// each start the CLI waits for the migration's jobs (backfills, concurrent index builds).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "advisory_lock.hpp"
#include "commands/backfill_options.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "job_waiter.hpp"
#include "migration_directory.hpp"
#include "schema_history.hpp"
#include "session.hpp"
#include "unapplied_migrations.hpp"

namespace pgshift::cli {

namespace {

struct MigrateOptions {
	std::string dir;
	bool complete = false;
	double lock_wait_seconds = 0;
	BackfillOptions backfill;
};

// The server's error, saying which migration and which step it belongs to.
[[noreturn]] void rethrow_for(const DatabaseError &error, const std::string &what) {
	throw DatabaseError(what + ": " + error.what(), error.sqlstate(), error.detail(), error.hint());
}

void apply(Connection &conn, const GlobalOptions &options, const MigrateOptions &migrate, const LocalMigration &migration,
           bool complete) {
	nlohmann::ordered_json started;
	try {
		started = call_json_function(conn, options, "start($1, $2::jsonb, $3::jsonb)",
		                             {options.schema, migration.file->body.dump(), start_options(migrate.backfill).dump()});
	} catch (const DatabaseError &error) {
		rethrow_for(error, "migration \"" + migration.name + "\" (\"" + migration.path + "\") failed to start");
	}
	const auto version_schema = started.find("version_schema");
	const std::string version =
		version_schema != started.end() && version_schema->is_string() ? version_schema->get<std::string>() : "";
	// Its failures say the migration is still active and how to go on.
	wait_for_jobs(conn, options);
	if (!complete) {
		std::cout << "Migration \"" << migration.name << "\" started: new version of the schema available under the postgres \""
		          << version << "\" schema" << std::endl;
		return;
	}
	try {
		call_json_function(conn, options, "complete($1)", {options.schema});
	} catch (const DatabaseError &error) {
		rethrow_for(error, "migration \"" + migration.name + "\" started but failed to complete (it is still active)");
	}
	std::cout << "Migration \"" << migration.name << "\" complete: schema version \"" << version << "\"" << std::endl;
}

void run_migrate(const GlobalOptions &options, const MigrateOptions &migrate) {
	// Files first: a directory that cannot be used must not reach the server at all.
	const MigrationDirectory directory = collect_migration_files(migrate.dir);
	print_warnings(directory.warnings);
	const std::vector<LocalMigration> local = read_local_migrations(directory.files);

	Connection conn = open_session(options);
	require_extension(conn, options);
	require_throttle_support(conn, migrate.backfill);
	// Held from reading the history to the last migration: a concurrent run waits here, then finds what
	// this one applied.
	AdvisoryLock lock = AdvisoryLock::for_schema(options, options.schema, migrate.lock_wait_seconds);
	const std::vector<HistoryEntry> history = read_history(conn, options);
	for (const HistoryEntry &entry : history)
		if (!entry.done) {
			// pgroll's answer, exit 0: the active migration is for complete or rollback to finish.
			std::cout << "migration \"" << entry.name << "\" is active" << std::endl;
			return;
		}

	const Unapplied unapplied = find_unapplied(local, history);
	if (unapplied.only_in_database > 0)
		std::cerr << "warning: " << unapplied.only_in_database << " migration(s) of schema \"" << options.schema
		          << "\" have no file in \"" << migrate.dir << "\" ('pgshift pull " << migrate.dir
		          << "' writes them)" << std::endl;
	if (unapplied.migrations.empty()) {
		std::cout << "Database is up to date; no migrations to apply" << std::endl;
		return;
	}
	const size_t count = unapplied.migrations.size();
	for (size_t i = 0; i < count; ++i) {
		if (interrupt::requested())
			throw Failure("interrupted after " + std::to_string(i) + " of " + std::to_string(count) + " migrations");
		apply(conn, options, migrate, unapplied.migrations[i], i + 1 < count || migrate.complete);
	}
}

}  // namespace

void add_migrate(CLI::App &root, Commands &commands) {
	auto migrate = std::make_shared<MigrateOptions>();
	CLI::App *command = root.add_subcommand("migrate", "Apply outstanding migrations from a directory to a database");
	command->add_option("directory", migrate->dir, "Directory of migration files (.json, .yaml, .yml)")->required();
	command->add_flag("-c,--complete", migrate->complete, "Complete the final migration rather than leaving it active");
	add_backfill_options(*command, migrate->backfill);
	add_lock_wait_option(*command, migrate->lock_wait_seconds);
	command->footer(
		"Files apply in the order of the directory's .ledger file (one file name per line) when it exists,\n"
		"else in file name order. Files already in the schema's history (since its latest baseline) must\n"
		"come first, in the same order and with the content that was applied; the rest are applied: each\n"
		"one started and completed, except the last, which is only started unless --complete is given.\n"
		"After each start, migrate waits for the migration's backfills and index builds (progress on stderr).\n"
		"Example: pgshift migrate ./migrations --complete");
	commands.push_back({command, [migrate](const GlobalOptions &options) { run_migrate(options, *migrate); }});
}

}  // namespace pgshift::cli
