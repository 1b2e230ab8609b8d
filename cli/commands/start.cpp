// pgshift start FILE [--complete]: starts a migration (expand) and creates its version schema.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "advisory_lock.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "migration_file.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct StartOptions {
	std::string file;
	bool complete = false;
	double lock_wait_seconds = 0;
};

void run_start(const GlobalOptions &options, const StartOptions &start) {
	// Read and parse first: a bad file must not reach the server at all.
	const MigrationFile migration = read_migration_file(start.file);
	Connection conn = open_session(options);
	require_extension(conn, options);
	AdvisoryLock lock =
		AdvisoryLock::for_schema(conn, conn.quote_identifier(options.state_schema), options.schema, start.lock_wait_seconds);

	const auto result =
		call_json_function(conn, options, "start($1, $2::jsonb)", {options.schema, migration.body.dump()});
	const auto version_schema = result.find("version_schema");
	if (version_schema != result.end() && version_schema->is_string())
		std::cout << "New version of the schema available under the postgres \"" << version_schema->get<std::string>()
		          << "\" schema" << std::endl;
	else
		std::cout << "Migration \"" << result.value("name", migration.name) << "\" started successfully" << std::endl;

	if (start.complete)
		complete_and_report(conn, options);
}

}  // namespace

void add_start(CLI::App &root, Commands &commands) {
	auto start = std::make_shared<StartOptions>();
	CLI::App *command = root.add_subcommand("start", "Start a migration for the operations present in the given file");
	// No ExistingFile check here: a missing file is a runtime error (exit 1) like an unreadable one.
	command->add_option("file", start->file, "Migration file (.json, .yaml or .yml)")->required();
	command->add_flag("-c,--complete", start->complete, "Mark the migration as complete right after starting it");
	add_lock_wait_option(*command, start->lock_wait_seconds);
	commands.push_back({command, [start](const GlobalOptions &options) { run_start(options, *start); }});
}

}  // namespace pgshift::cli
