// Writing migrations (pull, baseline): the YAML must read back through our reader as the same JSON.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "errors.hpp"
#include "migration_file.hpp"
#include "migration_writer.hpp"

namespace pgshift::cli {
namespace {

using json = nlohmann::ordered_json;

json read_back(const std::string &yaml) { return yaml_to_json(yaml, "written.yaml"); }

void expect_round_trip(const json &value) {
	const std::string yaml = to_yaml(value);
	EXPECT_EQ(nlohmann::json(read_back(yaml)), nlohmann::json(value)) << yaml;
}

TEST(ToYaml, BlockStyleForOrdinaryMigrations) {
	const json migration = json::parse(R"json({"operations": [{"create_table": {"name": "t", "columns": [
		{"name": "id", "type": "integer", "pk": true}, {"name": "label", "type": "varchar(255)", "nullable": true}]}}]})json");
	EXPECT_EQ(to_yaml(migration),
	          "operations:\n"
	          "  - create_table:\n"
	          "      name: t\n"
	          "      columns:\n"
	          "        - name: id\n"
	          "          type: integer\n"
	          "          pk: true\n"
	          "        - name: label\n"
	          "          type: varchar(255)\n"
	          "          nullable: true\n");
	expect_round_trip(migration);
}

TEST(ToYaml, QuotesStringsThatWouldReadAsSomethingElse) {
	const json value = json::parse(R"({"a": "10", "b": "true", "c": "null", "d": "", "e": "1.5", "f": "yes",
		"g": "Off", "h": "~", "i": "0x1F", "j": ".inf", "k": "-1", "l": "2024-01-01", "m": "a: b", "n": "x #y",
		"o": "'small'", "p": " lead", "q": "trail ", "r": "tab\there", "s": "quote\"d", "t": "[1]", "u": "*ref",
		"v": "é", "w": "N", "x": "1_000"})");
	const std::string yaml = to_yaml(value);
	EXPECT_NE(yaml.find("a: \"10\"\n"), std::string::npos) << yaml;
	EXPECT_NE(yaml.find("b: \"true\"\n"), std::string::npos) << yaml;
	EXPECT_NE(yaml.find("f: \"yes\"\n"), std::string::npos) << yaml;
	EXPECT_NE(yaml.find("d: \"\"\n"), std::string::npos) << yaml;
	expect_round_trip(value);
	// Every value was written quoted or plain, never as the JSON fallback.
	EXPECT_EQ(yaml.find('{'), std::string::npos) << yaml;
}

TEST(ToYaml, KeepsNumbersBooleansAndNullsTyped) {
	const json value = json::parse(R"({"i": 42, "n": -7, "f": 1.5, "big": 18446744073709551615, "t": true,
		"no": false, "z": null, "e": [], "o": {}})");
	const std::string yaml = to_yaml(value);
	EXPECT_NE(yaml.find("i: 42\n"), std::string::npos) << yaml;
	EXPECT_NE(yaml.find("e: []\n"), std::string::npos) << yaml;
	EXPECT_NE(yaml.find("o: {}\n"), std::string::npos) << yaml;
	expect_round_trip(value);
}

TEST(ToYaml, QuotesKeysThatNeedIt) {
	const json value = json::parse(R"({"01_key": 1, "true": 2, "a b": 3, "x:y": 4, "": 5})");
	expect_round_trip(value);
}

TEST(ToYaml, MultiLineStringsAsLiteralBlocksWhenTheyReadBack) {
	const json value = json::parse(R"({"up": "SELECT 1\nFROM t", "down": "a\n\n  b\n", "many": "x\n\n\n",
		"lead": "\n\nstarts late", "indented": "  first line indented\nsecond", "crlf": "a\r\nb",
		"trailing": "a  \nb  ", "nested": [["x\ny", "z"], [{"k": "1\n2"}]]})");
	const std::string yaml = to_yaml(value);
	EXPECT_NE(yaml.find("up: |-\n  SELECT 1\n  FROM t\n"), std::string::npos) << yaml;
	expect_round_trip(value);
}

TEST(ToYaml, SequencesOfSequences) {
	expect_round_trip(json::parse(R"({"a": [[1, 2], [], [[3]], [{"b": [4]}], "s"]})"));
}

TEST(MigrationFileBody, DropsTheNameAndPutsVersionSchemaFirst) {
	const json stored = json::parse(R"({"operations": [{"create_table": {"columns": [], "name": "t"}}],
		"version_schema": "v1", "name": "01_x"})");
	EXPECT_EQ(migration_file_body(stored).dump(),
	          R"({"version_schema":"v1","operations":[{"create_table":{"name":"t","columns":[]}}]})");
}

TEST(WriteMigrationFile, WritesYamlOrJsonAndNeverReplacesAFile) {
	const std::string dir = testing::TempDir() + "pgshift_writer_test";
	std::filesystem::remove_all(dir);
	std::filesystem::create_directories(dir);
	const json body = json::parse(R"({"operations": [{"create_table": {"name": "t", "columns": []}}]})");

	const std::string yaml_path = write_migration_file(dir, "01_x", body, false);
	EXPECT_EQ(yaml_path, dir + "/01_x.yaml");
	const MigrationFile yaml = read_migration_file(yaml_path);
	EXPECT_EQ(yaml.name, "01_x");
	EXPECT_EQ(yaml.body["operations"], body["operations"]);

	const std::string json_path = write_migration_file(dir, "02_y", body, true);
	EXPECT_EQ(read_migration_file(json_path).body["operations"], body["operations"]);

	EXPECT_THROW(write_migration_file(dir, "01_x", body, false), Failure);
	EXPECT_THROW(write_migration_file(dir, "../escape", body, false), Failure);
	EXPECT_THROW(write_migration_file(dir, "", body, false), Failure);
	std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgshift::cli
