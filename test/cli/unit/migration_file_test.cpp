// Reading migration files: YAML -> JSON types, names, and the errors for files that cannot be used.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "errors.hpp"
#include "migration_file.hpp"

namespace pgshift::cli {
namespace {

using json = nlohmann::ordered_json;

json yaml(const std::string &text) { return yaml_to_json(text, "test.yaml"); }

// A file under the test's temporary directory, removed with the object.
class TempFile {
public:
	TempFile(const std::string &name, const std::string &content) : path_(testing::TempDir() + name) {
		std::ofstream(path_, std::ios::binary) << content;
	}
	~TempFile() { std::remove(path_.c_str()); }
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

std::string failure_message(const std::string &path) {
	try {
		read_migration_file(path);
	} catch (const Failure &failure) {
		return failure.what();
	}
	return "(no failure)";
}

TEST(YamlToJson, QuotedScalarsAreStrings) {
	const json doc = yaml("a: \"true\"\nb: '42'\nc: \"null\"\nd: ''\ne: \"1.5\"\n");
	EXPECT_EQ(doc["a"], "true");
	EXPECT_EQ(doc["b"], "42");
	EXPECT_EQ(doc["c"], "null");
	EXPECT_EQ(doc["d"], "");
	EXPECT_EQ(doc["e"], "1.5");
}

TEST(YamlToJson, PlainBooleansAndNulls) {
	const json doc = yaml("a: true\nb: false\nc: True\nd: FALSE\ne: null\nf: ~\ng:\nh: Null\n");
	EXPECT_EQ(doc["a"], true);
	EXPECT_EQ(doc["b"], false);
	EXPECT_EQ(doc["c"], true);
	EXPECT_EQ(doc["d"], false);
	EXPECT_TRUE(doc["e"].is_null());
	EXPECT_TRUE(doc["f"].is_null());
	EXPECT_TRUE(doc["g"].is_null());
	EXPECT_TRUE(doc["h"].is_null());
}

TEST(YamlToJson, YesNoOnOffStayStrings) {
	// YAML 1.2 core schema, not YAML 1.1: these are ordinary words (e.g. a column named "on").
	const json doc = yaml("a: yes\nb: no\nc: on\nd: off\n");
	EXPECT_EQ(doc["a"], "yes");
	EXPECT_EQ(doc["b"], "no");
	EXPECT_EQ(doc["c"], "on");
	EXPECT_EQ(doc["d"], "off");
}

TEST(YamlToJson, PlainNumbers) {
	const json doc = yaml("a: 42\nb: -7\nc: +3\nd: 1.5\ne: 2e3\nf: .5\ng: 0x1F\nh: 0o17\ni: 18446744073709551615\n");
	EXPECT_TRUE(doc["a"].is_number_integer());
	EXPECT_EQ(doc["a"], 42);
	EXPECT_EQ(doc["b"], -7);
	EXPECT_EQ(doc["c"], 3);
	EXPECT_TRUE(doc["d"].is_number_float());
	EXPECT_DOUBLE_EQ(doc["d"].get<double>(), 1.5);
	EXPECT_DOUBLE_EQ(doc["e"].get<double>(), 2000);
	EXPECT_DOUBLE_EQ(doc["f"].get<double>(), 0.5);
	EXPECT_EQ(doc["g"], 31);
	EXPECT_EQ(doc["h"], 15);
	EXPECT_TRUE(doc["i"].is_number_unsigned());
}

TEST(YamlToJson, OtherPlainScalarsAreStrings) {
	const json doc = yaml("a: varchar(255)\nb: 1.2.3\nc: .inf\nd: 12abc\ne: time with time zone\nf: a-b\n");
	EXPECT_EQ(doc["a"], "varchar(255)");
	EXPECT_EQ(doc["b"], "1.2.3");
	EXPECT_EQ(doc["c"], ".inf");
	EXPECT_EQ(doc["d"], "12abc");
	EXPECT_EQ(doc["e"], "time with time zone");
	EXPECT_EQ(doc["f"], "a-b");
}

TEST(YamlToJson, BlockScalarsAndExplicitStringTagsAreStrings) {
	const json doc = yaml("up: |\n  SELECT 1\ndown: >\n  42\nn: !!str 12\nt: !!str true\n");
	EXPECT_EQ(doc["up"], "SELECT 1\n");
	EXPECT_EQ(doc["down"], "42\n");
	EXPECT_EQ(doc["n"], "12");
	EXPECT_EQ(doc["t"], "true");
}

TEST(YamlToJson, NestedStructureKeepsOrder) {
	const json doc = yaml("operations:\n  - create_table:\n      name: t\n      columns:\n        - {name: id, type: int, pk: true}\n");
	const json &table = doc["operations"][0]["create_table"];
	EXPECT_EQ(table["name"], "t");
	EXPECT_EQ(table["columns"][0]["pk"], true);
	EXPECT_EQ(doc.dump(), R"({"operations":[{"create_table":{"name":"t","columns":[{"name":"id","type":"int","pk":true}]}}]})");
}

TEST(YamlToJson, AliasesAreExpanded) {
	const json doc = yaml("base: &b {type: text}\ncopy: *b\n");
	EXPECT_EQ(doc["copy"]["type"], "text");
}

TEST(YamlToJson, DuplicateKeysAreRejectedWithTheirPosition) {
	try {
		yaml("name: a\nname: b\n");
		FAIL() << "no failure";
	} catch (const Failure &failure) {
		EXPECT_EQ(std::string(failure.what()),
		          "cannot parse migration file \"test.yaml\": line 2, column 1: duplicate key \"name\"");
	}
}

TEST(YamlToJson, SyntaxErrorsNameFileAndPosition) {
	try {
		yaml("operations:\n  - create_table: {name: t\n");
		FAIL() << "no failure";
	} catch (const Failure &failure) {
		EXPECT_NE(std::string(failure.what()).find("cannot parse migration file \"test.yaml\": line "), std::string::npos)
			<< failure.what();
	}
}

TEST(MigrationName, IsTheBaseNameWithoutTheLastExtension) {
	EXPECT_EQ(migration_name_from_path("01_create_tables.yaml"), "01_create_tables");
	EXPECT_EQ(migration_name_from_path("dir/03.migration.3.yml"), "03.migration.3");
	EXPECT_EQ(migration_name_from_path("/a.b/c.json"), "c");
	EXPECT_EQ(migration_name_from_path("noext"), "noext");
}

TEST(ReadMigrationFile, FillsTheNameFromTheFileName) {
	TempFile file("02_add_items.json", R"({"operations": []})");
	const MigrationFile migration = read_migration_file(file.path());
	EXPECT_EQ(migration.name, "02_add_items");
	EXPECT_EQ(migration.body["name"], "02_add_items");
	EXPECT_TRUE(migration.body["operations"].is_array());
}

TEST(ReadMigrationFile, KeepsTheFilesOwnName) {
	TempFile file("03_file.yaml", "name: custom\noperations: []\n");
	const MigrationFile migration = read_migration_file(file.path());
	EXPECT_EQ(migration.name, "custom");
	EXPECT_EQ(migration.body["name"], "custom");
}

TEST(ReadMigrationFile, PassesUnknownFieldsThrough) {
	TempFile file("04_extra.yml", "operations: []\nversion_schema: v4\nsurprise: 1\n");
	const MigrationFile migration = read_migration_file(file.path());
	EXPECT_EQ(migration.body["version_schema"], "v4");
	EXPECT_EQ(migration.body["surprise"], 1);
}

TEST(ReadMigrationFile, RejectsMalformedJsonWithPosition) {
	TempFile file("05_bad.json", "{\n  \"operations\": [\n}\n");
	const std::string message = failure_message(file.path());
	EXPECT_NE(message.find("cannot parse migration file \"" + file.path() + "\": parse error at line 3, column 1"),
	          std::string::npos)
		<< message;
}

TEST(ReadMigrationFile, RejectsNonObjects) {
	TempFile list("06_list.yaml", "- a\n- b\n");
	EXPECT_NE(failure_message(list.path()).find("must contain an object"), std::string::npos);
	TempFile empty("07_empty.yaml", "");
	EXPECT_NE(failure_message(empty.path()).find("must contain an object"), std::string::npos);
}

TEST(ReadMigrationFile, RejectsANonStringName) {
	TempFile file("08_name.yaml", "name: 12\noperations: []\n");
	EXPECT_NE(failure_message(file.path()).find("\"name\" must be a non-empty string"), std::string::npos);
}

TEST(ReadMigrationFile, RejectsMissingFilesAndOtherExtensions) {
	EXPECT_EQ(failure_message("/nonexistent/01_x.yaml"),
	          "cannot read migration file \"/nonexistent/01_x.yaml\": No such file or directory");
	EXPECT_EQ(failure_message("01_x.txt"), "migration file \"01_x.txt\" must end in .json, .yaml or .yml");
}

}  // namespace
}  // namespace pgshift::cli
