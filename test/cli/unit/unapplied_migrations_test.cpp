// pgroll's unapplied-migration rule (pgroll-behaviour.md 7.1) with pgshift's content check.
#include <gtest/gtest.h>

#include <string>

#include "errors.hpp"
#include "unapplied_migrations.hpp"

namespace pgshift::cli {
namespace {

using json = nlohmann::ordered_json;

const json table_a = json::parse(R"({"operations": [{"create_table": {"name": "a", "columns": []}}]})");
const json table_b = json::parse(R"({"operations": [{"create_table": {"name": "b", "columns": []}}]})");

LocalMigration file(const std::string &name, json body = table_a) {
	body["name"] = name;
	return {"dir/" + name + ".yaml", name, MigrationFile{"dir/" + name + ".yaml", name, body}, ""};
}
LocalMigration unreadable(const std::string &name) {
	return {"dir/" + name + ".yaml", name, std::nullopt, "cannot parse migration file \"dir/" + name + ".yaml\""};
}
HistoryEntry applied(const std::string &name, const json &migration = table_a, const std::string &type = "pgshift") {
	return {name, migration, type, true};
}
HistoryEntry baseline(const std::string &name) { return {name, json::parse(R"({"operations": []})"), "baseline", true}; }

std::vector<std::string> names(const Unapplied &unapplied) {
	std::vector<std::string> result;
	for (const LocalMigration &migration : unapplied.migrations)
		result.push_back(migration.name);
	return result;
}

std::string failure_message(const std::vector<LocalMigration> &local, const std::vector<HistoryEntry> &history) {
	try {
		find_unapplied(local, history);
	} catch (const Failure &failure) {
		return failure.what();
	}
	return "(no failure)";
}

TEST(FindUnapplied, EverythingWithoutHistory) {
	EXPECT_EQ(names(find_unapplied({file("01"), file("02")}, {})), (std::vector<std::string>{"01", "02"}));
}

TEST(FindUnapplied, WhatFollowsTheAppliedPrefix) {
	const Unapplied unapplied = find_unapplied({file("01"), file("02"), file("03")}, {applied("01"), applied("02")});
	EXPECT_EQ(names(unapplied), (std::vector<std::string>{"03"}));
	EXPECT_EQ(unapplied.only_in_database, 0u);
}

TEST(FindUnapplied, NothingWhenUpToDateOrBehind) {
	EXPECT_TRUE(find_unapplied({file("01")}, {applied("01")}).migrations.empty());
	const Unapplied behind = find_unapplied({file("01")}, {applied("01"), applied("02")});
	EXPECT_TRUE(behind.migrations.empty());
	EXPECT_EQ(behind.only_in_database, 1u);
}

TEST(FindUnapplied, RefusesAnotherOrder) {
	EXPECT_EQ(failure_message({file("01"), file("03"), file("02")}, {applied("01"), applied("02")}),
	          "remote migration does not match local migration: remote=\"02\", local=\"03\"");
}

TEST(FindUnapplied, InferredMigrationsMustBeLocalToo) {
	EXPECT_EQ(failure_message({file("01"), file("02")}, {applied("01"), applied("01_20240101", table_a, "inferred")}),
	          "remote migration does not match local migration: remote=\"01_20240101\", local=\"02\"");
}

TEST(FindUnapplied, RefusesAChangedAppliedFile) {
	const std::string message = failure_message({file("01", table_b), file("02")}, {applied("01", table_a)});
	EXPECT_NE(message.find("migration \"01\" was applied with different content: \"dir/01.yaml\""), std::string::npos)
		<< message;
	EXPECT_NE(message.find("/operations/0/create_table/name"), std::string::npos) << message;
}

TEST(FindUnapplied, VersionSchemaIsPartOfTheContent) {
	json renamed = table_a;
	renamed["version_schema"] = "v1";
	EXPECT_NE(failure_message({file("01", renamed)}, {applied("01", table_a)}).find("different content"), std::string::npos);
}

TEST(FindUnapplied, IgnoresKeyOrderAndTheStoredName) {
	const json reordered = json::parse(R"({"operations": [{"create_table": {"columns": [], "name": "a"}}], "name": "01"})");
	EXPECT_TRUE(find_unapplied({file("01")}, {applied("01", reordered)}).migrations.empty());
}

TEST(FindUnapplied, SkipsFilesUpToTheBaseline) {
	const Unapplied unapplied =
		find_unapplied({file("01"), unreadable("02"), file("03_base"), file("04"), file("05")}, {baseline("03_base"), applied("04")});
	EXPECT_EQ(names(unapplied), (std::vector<std::string>{"05"}));
}

TEST(FindUnapplied, ReportsEveryUnreadableFile) {
	const std::string message = failure_message({file("01"), unreadable("02"), file("03"), unreadable("04")}, {applied("01")});
	EXPECT_NE(message.find("2 migration files cannot be used; nothing was applied:"), std::string::npos) << message;
	EXPECT_NE(message.find("dir/02.yaml"), std::string::npos) << message;
	EXPECT_NE(message.find("dir/04.yaml"), std::string::npos) << message;
}

TEST(FindUnapplied, RefusesTwoFilesOfOneName) {
	LocalMigration json_twin = file("01");
	json_twin.path = "dir/01.json";
	EXPECT_EQ(failure_message({file("01"), json_twin}, {}),
	          "two migration files are named \"01\": \"dir/01.yaml\" and \"dir/01.json\"");
}

}  // namespace
}  // namespace pgshift::cli
