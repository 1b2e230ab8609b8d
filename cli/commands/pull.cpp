// pgshift pull DIR [--json]: writes the migrations of the schema's history that DIR has no file for.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <set>

#include "commands/commands.hpp"
#include "migration_directory.hpp"
#include "migration_writer.hpp"
#include "schema_history.hpp"
#include "session.hpp"
#include "unapplied_migrations.hpp"

namespace pgshift::cli {

namespace {

struct PullOptions {
	std::string dir;
	bool json = false;
};

// The migration names DIR already has a file for, whatever its extension (and whether or not .ledger
// lists it), so pull never writes a second file for one migration.
std::set<std::string> local_names(const std::string &dir) {
	std::set<std::string> names;
	for (const LocalMigration &file : read_local_migrations(all_migration_files(dir))) {
		names.insert(file.name);
		names.insert(migration_name_from_path(file.path));
	}
	return names;
}

void run_pull(const GlobalOptions &options, const PullOptions &pull) {
	Connection conn = open_session(options);
	require_extension(conn, options);
	const std::vector<HistoryEntry> history = read_history(conn, options);
	ensure_directory(pull.dir);
	const std::set<std::string> present = local_names(pull.dir);
	for (const HistoryEntry &entry : history) {
		if (present.count(entry.name) != 0)
			continue;
		const std::string path = write_migration_file(pull.dir, entry.name, migration_file_body(entry.migration), pull.json);
		// Silent otherwise, as pgroll.
		if (options.verbose)
			std::cerr << "wrote \"" << path << "\"" << std::endl;
	}
}

}  // namespace

void add_pull(CLI::App &root, Commands &commands) {
	auto pull = std::make_shared<PullOptions>();
	CLI::App *command =
		root.add_subcommand("pull", "Pull migration history from the target database and write it to disk");
	command->add_option("directory", pull->dir, "Directory to write the files to (created if needed)")->required();
	command->add_flag("-j,--json", pull->json, "Write each migration as JSON instead of YAML");
	command->footer(
		"Writes every migration of the schema's history (since its latest baseline) that has no file in\n"
		"the directory yet as <name>.yaml (or <name>.json), holding what was applied; existing files are\n"
		"left alone and .ledger is not changed. 'pgshift migrate' of the directory then finds them applied.");
	commands.push_back({command, [pull](const GlobalOptions &options) { run_pull(options, *pull); }});
}

}  // namespace pgshift::cli
