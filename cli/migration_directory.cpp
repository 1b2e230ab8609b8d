#include "migration_directory.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "errors.hpp"

namespace pgshift::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char *ledger_name = ".ledger";

std::string lower(std::string text) {
	for (char &c : text)
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	return text;
}

bool ends_with(const std::string &text, const std::string &suffix) {
	return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trimmed(const std::string &line) {
	const char *space = " \t\r\n";
	const size_t first = line.find_first_not_of(space);
	if (first == std::string::npos)
		return "";
	return line.substr(first, line.find_last_not_of(space) - first + 1);
}

void require_directory(const std::string &dir) {
	std::error_code error;
	const fs::file_status status = fs::status(dir, error);
	if (status.type() == fs::file_type::not_found)
		throw Failure("migrations directory \"" + dir + "\" does not exist");
	if (error)
		throw Failure("cannot read migrations directory \"" + dir + "\": " + error.message());
	if (status.type() != fs::file_type::directory)
		throw Failure("\"" + dir + "\" is not a directory");
}

// The names of the migration files directly in `dir` (regular files, or links to them), sorted.
std::vector<std::string> migration_file_names(const std::string &dir) {
	std::vector<std::string> names;
	std::error_code error;
	fs::directory_iterator entries(dir, error);
	for (; !error && entries != fs::directory_iterator(); entries.increment(error)) {
		const std::string name = entries->path().filename().string();
		std::error_code ignored;
		if (is_migration_file_name(name) && entries->is_regular_file(ignored))
			names.push_back(name);
	}
	if (error)
		throw Failure("cannot read migrations directory \"" + dir + "\": " + error.message());
	// Byte order, as pgroll sorts: "10_x" after "09_x", "B" before "a".
	std::sort(names.begin(), names.end());
	return names;
}

MigrationDirectory in_ledger_order(const std::string &dir, const std::string &ledger) {
	std::ifstream in(ledger);
	if (!in)
		throw Failure("cannot read \"" + ledger + "\"");
	MigrationDirectory found{dir, {}, {}};
	std::set<std::string> listed;
	std::vector<std::string> missing;
	std::string line;
	while (std::getline(in, line)) {
		const std::string name = trimmed(line);
		if (name.empty())
			continue;
		if (!listed.insert(name).second)
			throw Failure("\"" + name + "\" is listed twice in \"" + ledger + "\"");
		if (!is_migration_file_name(name)) {
			found.warnings.push_back("\"" + name + "\" in \"" + ledger +
			                         "\" is not a migration file (.json, .yaml or .yml); it is ignored");
			continue;
		}
		const std::string path = path_in(dir, name);
		std::error_code error;
		if (!fs::is_regular_file(path, error))
			missing.push_back(path);
		found.files.push_back(path);
	}
	if (in.bad())
		throw Failure("cannot read \"" + ledger + "\"");
	if (!missing.empty()) {
		std::string message = "\"" + ledger + "\" lists migration files that do not exist:";
		for (const std::string &path : missing)
			message += " \"" + path + "\"";
		throw Failure(message);
	}
	for (const std::string &name : migration_file_names(dir))
		if (listed.count(name) == 0)
			found.warnings.push_back("\"" + path_in(dir, name) + "\" is not listed in \"" + ledger + "\"; it is ignored");
	return found;
}

}  // namespace

bool is_migration_file_name(const std::string &name) {
	const std::string lowered = lower(name);
	return ends_with(lowered, ".json") || ends_with(lowered, ".yaml") || ends_with(lowered, ".yml");
}

std::string path_in(const std::string &dir, const std::string &name) {
	if (dir.empty())
		return name;
	return dir.back() == '/' ? dir + name : dir + "/" + name;
}

void ensure_directory(const std::string &dir) {
	std::error_code error;
	if (!fs::exists(dir, error) && !error)
		fs::create_directories(dir, error);
	if (error)
		throw Failure("cannot create directory \"" + dir + "\": " + error.message());
	require_directory(dir);
}

std::vector<std::string> all_migration_files(const std::string &dir) {
	require_directory(dir);
	std::vector<std::string> paths;
	for (const std::string &name : migration_file_names(dir))
		paths.push_back(path_in(dir, name));
	return paths;
}

MigrationDirectory collect_migration_files(const std::string &dir) {
	require_directory(dir);
	const std::string ledger = path_in(dir, ledger_name);
	std::error_code error;
	if (fs::exists(ledger, error))
		return in_ledger_order(dir, ledger);
	return MigrationDirectory{dir, all_migration_files(dir), {}};
}

}  // namespace pgshift::cli
