// pgshift baseline VERSION DIR [--json] [--yes]: records the schema as it is now as the start of its
// history, and writes the matching (empty) migration file, so migrate skips every file up to it.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "advisory_lock.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "errors.hpp"
#include "migration_directory.hpp"
#include "migration_file.hpp"
#include "migration_writer.hpp"
#include "session.hpp"
#include "unapplied_migrations.hpp"

namespace pgshift::cli {

namespace {

struct BaselineOptions {
	std::string version;
	std::string dir;
	bool json = false;
	bool yes = false;
	double lock_wait_seconds = 0;
};

bool confirmed(const GlobalOptions &options) {
	std::cerr << "Creating a baseline migration will restart the migration history of schema \"" << options.schema
	          << "\".\nContinue? [y/N] " << std::flush;
	std::string answer;
	if (!std::getline(std::cin, answer))
		return false;
	return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes" || answer == "YES";
}

void refuse_existing_file(const std::string &dir, const std::string &version) {
	for (const LocalMigration &file : read_local_migrations(all_migration_files(dir)))
		if (file.name == version || migration_name_from_path(file.path) == version)
			throw Failure("\"" + file.path + "\" already holds a migration named \"" + version + "\"");
}

void run_baseline(const GlobalOptions &options, const BaselineOptions &baseline) {
	// Before anything else: the question could not be asked, and answering it for the user is not ours.
	if (!baseline.yes && isatty(STDIN_FILENO) == 0)
		throw Failure("baseline needs --yes when not run interactively");
	check_migration_file_name(baseline.version);
	Connection conn = open_session(options);
	require_extension(conn, options);
	ensure_directory(baseline.dir);
	refuse_existing_file(baseline.dir, baseline.version);
	if (!baseline.yes && !confirmed(options)) {
		std::cout << "Baseline not created" << std::endl;
		return;
	}

	AdvisoryLock lock = AdvisoryLock::for_schema(options, options.schema, baseline.lock_wait_seconds);
	// pgroll writes operations: [{sql: {up: ""}}], which pgshift's format check refuses (empty sql.up);
	// an empty list means the same, nothing to run.
	const std::string path = write_migration_file(
		baseline.dir, baseline.version, nlohmann::ordered_json{{"operations", nlohmann::ordered_json::array()}}, baseline.json);
	try {
		call_json_function(conn, options, "baseline($1, $2)", {options.schema, baseline.version});
	} catch (...) {
		// The file stands for the baseline: without one it must not stay behind.
		std::remove(path.c_str());
		throw;
	}
	std::cout << "Baseline \"" << baseline.version << "\" recorded for schema \"" << options.schema << "\"" << std::endl;
	if (options.verbose)
		std::cerr << "wrote \"" << path << "\"" << std::endl;
}

}  // namespace

void add_baseline(CLI::App &root, Commands &commands) {
	auto baseline = std::make_shared<BaselineOptions>();
	CLI::App *command = root.add_subcommand("baseline", "Create a baseline migration for an existing database schema");
	command->add_option("version", baseline->version, "Name of the baseline migration")->required();
	command->add_option("directory", baseline->dir, "Directory of migration files to write it to (created if needed)")
		->required();
	command->add_flag("-j,--json", baseline->json, "Write the file as JSON instead of YAML");
	command->add_flag("-y,--yes", baseline->yes, "Do not ask for confirmation (required when stdin is not a terminal)");
	add_lock_wait_option(*command, baseline->lock_wait_seconds);
	command->footer(
		"Records the schema as it is now as the start of its migration history (no version schema is\n"
		"created) and writes <version>.yaml (or .json) with no operations in the directory. From then on,\n"
		"history starts at this version, and migrate skips every file whose name sorts at or before it.");
	commands.push_back({command, [baseline](const GlobalOptions &options) { run_baseline(options, *baseline); }});
}

}  // namespace pgshift::cli
