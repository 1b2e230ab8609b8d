// Which files of a directory migrate applies, and in which order (.ledger, else file names).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "errors.hpp"
#include "migration_directory.hpp"

namespace pgshift::cli {
namespace {

// A fresh directory under the test's temporary directory, removed with the object.
class TempDir {
public:
	explicit TempDir(const std::string &name) : path_(testing::TempDir() + name) {
		std::filesystem::remove_all(path_);
		std::filesystem::create_directories(path_);
	}
	~TempDir() { std::filesystem::remove_all(path_); }
	void write(const std::string &name, const std::string &content = "operations: []\n") const {
		std::ofstream(path_ + "/" + name) << content;
	}
	std::string operator/(const std::string &name) const { return path_ + "/" + name; }
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

std::string failure_message(const std::string &dir) {
	try {
		collect_migration_files(dir);
	} catch (const Failure &failure) {
		return failure.what();
	}
	return "(no failure)";
}

TEST(CollectMigrationFiles, SortsByFileNameAndKeepsOnlyMigrationFiles) {
	TempDir dir("pgshift_dir_sorted");
	for (const char *name : {"10_c.yml", "02_b.json", "01_a.yaml", "README.md", "notes.txt", "03_D.YAML"})
		dir.write(name);
	std::filesystem::create_directory(dir / "04_dir.yaml");
	const MigrationDirectory found = collect_migration_files(dir.path());
	EXPECT_EQ(found.files, (std::vector<std::string>{dir / "01_a.yaml", dir / "02_b.json", dir / "03_D.YAML", dir / "10_c.yml"}));
	EXPECT_TRUE(found.warnings.empty());
}

TEST(CollectMigrationFiles, FollowsTheLedgerAndWarnsAboutUnlistedFiles) {
	TempDir dir("pgshift_dir_ledger");
	for (const char *name : {"a.yaml", "b.yaml", "c.json", "extra.yaml"})
		dir.write(name);
	dir.write(".ledger", "c.json\r\n\n  a.yaml  \nb.yaml\nREADME.md\n");
	const MigrationDirectory found = collect_migration_files(dir.path());
	EXPECT_EQ(found.files, (std::vector<std::string>{dir / "c.json", dir / "a.yaml", dir / "b.yaml"}));
	ASSERT_EQ(found.warnings.size(), 2u);
	EXPECT_NE(found.warnings[0].find("\"README.md\""), std::string::npos) << found.warnings[0];
	EXPECT_NE(found.warnings[1].find(dir / "extra.yaml"), std::string::npos) << found.warnings[1];
	EXPECT_NE(found.warnings[1].find("is not listed in"), std::string::npos) << found.warnings[1];
}

TEST(CollectMigrationFiles, RefusesMissingAndRepeatedLedgerEntries) {
	TempDir dir("pgshift_dir_ledger_bad");
	dir.write("a.yaml");
	dir.write(".ledger", "a.yaml\nmissing.yaml\ngone.json\n");
	EXPECT_EQ(failure_message(dir.path()), "\"" + (dir / ".ledger") + "\" lists migration files that do not exist: \"" +
	                                           (dir / "missing.yaml") + "\" \"" + (dir / "gone.json") + "\"");
	dir.write(".ledger", "a.yaml\na.yaml\n");
	EXPECT_NE(failure_message(dir.path()).find("listed twice"), std::string::npos);
}

TEST(CollectMigrationFiles, RefusesWhatIsNotADirectory) {
	TempDir dir("pgshift_dir_missing");
	EXPECT_EQ(failure_message(dir / "nope"), "migrations directory \"" + (dir / "nope") + "\" does not exist");
	dir.write("file.yaml");
	EXPECT_EQ(failure_message(dir / "file.yaml"), "\"" + (dir / "file.yaml") + "\" is not a directory");
}

TEST(PathIn, JoinsWithOneSlash) {
	EXPECT_EQ(path_in("dir", "a.yaml"), "dir/a.yaml");
	EXPECT_EQ(path_in("dir/", "a.yaml"), "dir/a.yaml");
}

}  // namespace
}  // namespace pgshift::cli
