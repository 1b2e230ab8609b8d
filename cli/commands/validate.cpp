// pgshift validate FILE: checks a migration against the live schema without changing anything.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "migration_file.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

void run_validate(const GlobalOptions &options, const std::string &file) {
	const MigrationFile migration = read_migration_file(file);
	Connection conn = open_session(options);
	require_extension(conn, options);
	// The same checks as start, through the planner, in a function that changes nothing (no lock needed).
	call_json_function(conn, options, "validate($1, $2::jsonb)", {options.schema, migration.body.dump()});
	// Silent on success, as pgroll.
	if (options.verbose)
		std::cout << "migration \"" << migration.name << "\" is valid" << std::endl;
}

}  // namespace

void add_validate(CLI::App &root, Commands &commands) {
	auto file = std::make_shared<std::string>();
	CLI::App *command = root.add_subcommand("validate", "Validate a migration file against the database");
	command->add_option("file", *file, "Migration file (.json, .yaml or .yml)")->required();
	command->footer(
		"Runs the checks of start against the current schema and changes nothing. Prints nothing and exits 0\n"
		"when the migration is valid (with --verbose: a line saying so); prints the first problem and exits 1\n"
		"otherwise.");
	commands.push_back({command, [file](const GlobalOptions &options) { run_validate(options, *file); }});
}

}  // namespace pgshift::cli
