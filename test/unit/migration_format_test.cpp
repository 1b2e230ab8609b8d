#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/migration_format.hpp"

using namespace pgshift;

namespace {

// The message of the error check_migration_format raises, or "" when it accepts the document.
std::string format_error(const std::string &document)
{
	try {
		check_migration_format(json::parse(document));
		return "";
	} catch (const Error &error) {
		EXPECT_STREQ(error.code(), sqlstate::invalid_migration);
		return error.what();
	}
}

}  // namespace

TEST(MigrationFormat, AcceptsPgrollExampleShapes)
{
	EXPECT_EQ(format_error(R"({"operations": []})"), "");
	EXPECT_EQ(format_error(R"({"name": "x", "version_schema": "v", "operations": [
	  {"create_table": {"name": "t", "columns": [
	     {"name": "id", "type": "bigint", "pk": true,
	      "generated": {"identity": {"user_specified_values": "BY DEFAULT"}}},
	     {"name": "r", "type": "int", "references": {"name": "fk", "table": "t", "column": "id", "on_delete": "cascade"}}],
	   "constraints": [{"name": "c", "type": "exclude", "exclude": {"index_method": "btree", "elements": "r WITH ="}}]}},
	  {"alter_column": {"table": "t", "column": "r", "default": null, "comment": null}},
	  {"create_constraint": {"table": "t", "name": "u", "type": "unique", "columns": ["r"], "up": {"r": "r"}, "down": {"r": "r"}}},
	  {"sql": {"up": "select 1", "onComplete": true}}]})"),
	          "");
}

TEST(MigrationFormat, NamesTheFieldOfEachProblem)
{
	EXPECT_EQ(format_error(R"([])"), "invalid migration: migration: expected an object with \"operations\", got a list");
	EXPECT_EQ(format_error(R"({})"), "invalid migration: migration: missing required field \"operations\"");
	EXPECT_EQ(format_error(R"({"operations": [], "nme": "x"})"), "invalid migration: migration: unknown field \"nme\"");
	EXPECT_EQ(format_error(R"({"operations": {}})"),
	          "invalid migration: operations: expected a list of operations, got an object");
	EXPECT_EQ(format_error(R"({"operations": [{"create_tabel": {}}]})"),
	          "invalid migration: operations[0]: unknown operation \"create_tabel\"");
	EXPECT_EQ(format_error(R"({"operations": [{"drop_table": {"name": "a"}, "drop_index": {"name": "b"}}]})"),
	          "invalid migration: operations[0]: an operation must have exactly one key (the operation's name), found 2");
	EXPECT_EQ(format_error(R"({"operations": [{"drop_table": {"name": "a"}}, {"drop_table": {}}]})"),
	          "invalid migration: operations[1].drop_table: missing required field \"name\"");
	EXPECT_EQ(format_error(R"({"operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int", "nullable": "yes"}]}}]})"),
	          "invalid migration: operations[0].create_table.columns[0].nullable: expected a boolean, got a string");
	EXPECT_EQ(format_error(R"({"operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "typ": "int"}]}}]})"),
	          "invalid migration: operations[0].create_table.columns[0]: unknown field \"typ\"");
	EXPECT_EQ(format_error(R"({"operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int",
	          "references": {"name": "f", "table": "u", "column": "id", "on_delete": "EXPLODE"}}]}}]})"),
	          "invalid migration: operations[0].create_table.columns[0].references.on_delete: \"EXPLODE\" is not one of "
	          "NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT");
	EXPECT_EQ(format_error(R"({"operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": 5}]}}]})"),
	          "invalid migration: operations[0].create_table.columns[0].type: expected a string, got a number");
	EXPECT_EQ(format_error(R"({"operations": [{"add_column": {"table": "t", "column": {"name": "a", "type": "int", "default": null}}}]})"),
	          "invalid migration: operations[0].add_column.column.default: expected a string, got null");
	EXPECT_EQ(format_error(R"({"operations": [{"create_constraint": {"table": "t", "name": "u", "type": "unique", "up": {"a": 1}, "down": {}}}]})"),
	          "invalid migration: operations[0].create_constraint.up.a: expected a string, got a number");
}
