// Which local migration files the database has not applied yet (pgroll's rule, plus a content check).
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "migration_file.hpp"

namespace pgshift::cli {

// A file of the migrations directory: its migration, or why it cannot be read.
struct LocalMigration {
	std::string path;
	std::string name;                      // the migration's name; the file name's when unreadable
	std::optional<MigrationFile> file;     // empty when unreadable
	std::string error;                     // why it is unreadable
};

// One row of pgshift.history(schema): the latest baseline (if any) first, then every later migration.
struct HistoryEntry {
	std::string name;
	nlohmann::ordered_json migration;   // as stored: {version_schema?, operations}
	std::string type;                   // pgshift, inferred or baseline
	bool done = true;
};

struct Unapplied {
	std::vector<LocalMigration> migrations;   // to apply, in order
	size_t only_in_database = 0;              // history entries that have no local file (nothing to do)
};

// Reads every file; a file that cannot be read is kept with its error, so all of them can be reported.
std::vector<LocalMigration> read_local_migrations(const std::vector<std::string> &paths);

// pgroll's algorithm (pgroll-behaviour.md 7.1), in the given local order: files whose name sorts at or
// before the latest baseline are skipped; the i-th remaining file must be the i-th migration of the
// history since the baseline, and must hold the content that was applied; the files after the last
// applied one are unapplied. Throws Failure naming every unreadable file, or the first mismatch.
Unapplied find_unapplied(const std::vector<LocalMigration> &local, const std::vector<HistoryEntry> &history);

}  // namespace pgshift::cli
