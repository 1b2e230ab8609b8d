#include "unapplied_migrations.hpp"

#include <map>

#include "errors.hpp"

namespace pgshift::cli {

namespace {

// A migration's content as applied: everything but "name", key order ignored.
nlohmann::json content(const nlohmann::ordered_json &migration) {
	nlohmann::json unordered = migration;
	if (unordered.is_object())
		unordered.erase("name");
	return unordered;
}

void check_content(const LocalMigration &local, const HistoryEntry &applied) {
	const nlohmann::json local_content = content(local.file->body);
	const nlohmann::json applied_content = content(applied.migration);
	if (local_content == applied_content)
		return;
	const nlohmann::json patch = nlohmann::json::diff(applied_content, local_content);
	std::string where;
	if (!patch.empty() && patch[0].contains("path"))
		where = " (first difference at " + patch[0]["path"].get<std::string>() + ")";
	throw Failure("migration \"" + applied.name + "\" was applied with different content: \"" + local.path +
	              "\" no longer matches what the database recorded" + where +
	              "; restore the file as it was applied, or put the change in a new migration");
}

void refuse_unreadable(const std::vector<const LocalMigration *> &files) {
	std::vector<const LocalMigration *> unreadable;
	for (const LocalMigration *file : files)
		if (!file->file)
			unreadable.push_back(file);
	if (unreadable.empty())
		return;
	std::string message = unreadable.size() == 1
		? std::string("a migration file cannot be used; nothing was applied:")
		: std::to_string(unreadable.size()) + " migration files cannot be used; nothing was applied:";
	for (const LocalMigration *file : unreadable)
		message += "\n  " + file->error;
	throw Failure(message);
}

void refuse_duplicate_names(const std::vector<const LocalMigration *> &files) {
	std::map<std::string, const LocalMigration *> seen;
	for (const LocalMigration *file : files) {
		const auto [first, inserted] = seen.emplace(file->name, file);
		if (!inserted)
			throw Failure("two migration files are named \"" + file->name + "\": \"" + first->second->path + "\" and \"" +
			              file->path + "\"");
	}
}

}  // namespace

std::vector<LocalMigration> read_local_migrations(const std::vector<std::string> &paths) {
	std::vector<LocalMigration> local;
	for (const std::string &path : paths) {
		LocalMigration migration{path, migration_name_from_path(path), std::nullopt, ""};
		try {
			migration.file = read_migration_file(path);
			migration.name = migration.file->name;
		} catch (const Failure &failure) {
			migration.error = failure.what();
		}
		local.push_back(std::move(migration));
	}
	return local;
}

Unapplied find_unapplied(const std::vector<LocalMigration> &local, const std::vector<HistoryEntry> &history) {
	// pgshift.history() starts at the latest baseline: the schema as it was then, with no file to apply.
	size_t first_applied = 0;
	std::optional<std::string> baseline;
	if (!history.empty() && history.front().type == "baseline") {
		baseline = history.front().name;
		first_applied = 1;
	}
	std::vector<const LocalMigration *> files;
	for (const LocalMigration &file : local)
		if (!baseline || file.name > *baseline)
			files.push_back(&file);
	refuse_unreadable(files);
	refuse_duplicate_names(files);

	const size_t applied = history.size() - first_applied;
	for (size_t i = 0; i < files.size() && i < applied; ++i) {
		const HistoryEntry &remote = history[first_applied + i];
		if (files[i]->name != remote.name)
			throw Failure("remote migration does not match local migration: remote=\"" + remote.name + "\", local=\"" +
			              files[i]->name + "\"");
		check_content(*files[i], remote);
	}

	Unapplied unapplied;
	for (size_t i = applied; i < files.size(); ++i)
		unapplied.migrations.push_back(*files[i]);
	if (applied > files.size())
		unapplied.only_in_database = applied - files.size();
	return unapplied;
}

}  // namespace pgshift::cli
