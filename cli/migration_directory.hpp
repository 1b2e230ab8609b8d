// Which migration files a directory holds, and in which order they apply.
#pragma once
#include <string>
#include <vector>

namespace pgshift::cli {

struct MigrationDirectory {
	std::string dir;
	std::vector<std::string> files;      // paths (dir/name), in the order they apply
	std::vector<std::string> warnings;   // for stderr: files left out, and why
};

// The migration files (*.json, *.yaml, *.yml) of `dir`: in the order of dir/.ledger when that file
// exists (one file name per line; a listed file that is missing is an error, unlisted files are left
// out with a warning), else sorted by file name. Throws Failure when `dir` cannot be read.
MigrationDirectory collect_migration_files(const std::string &dir);

// Every migration file directly in `dir`, sorted by name, whatever .ledger says (for pull and baseline,
// which look for names already taken).
std::vector<std::string> all_migration_files(const std::string &dir);

// Creates `dir` and its parents when missing (pull, baseline); fails when it is not a directory.
void ensure_directory(const std::string &dir);

// Whether a file name ends in .json, .yaml or .yml (any case), the files read_migration_file takes.
bool is_migration_file_name(const std::string &name);

// dir/name, without doubling a trailing slash.
std::string path_in(const std::string &dir, const std::string &name);

}  // namespace pgshift::cli
