#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/planner.hpp"

using namespace pgshift;

namespace {

const json empty_catalog = json::parse(R"({"name": "public", "tables": {}})");

// create_table writes expressions as given: it never needs PostgreSQL's parser.
class NoParser final : public ExpressionParser {
public:
	std::vector<ColumnReference> column_references(const std::string &expression) const override
	{
		throw Error(sqlstate::internal_error, "unexpected parse of " + expression);
	}
	DefaultKind default_kind(const std::string &expression, const std::string &) const override
	{
		throw Error(sqlstate::internal_error, "unexpected volatility check of " + expression);
	}
};

json plan(const std::string &migration, const json &catalog = empty_catalog)
{
	static const NoParser parser;
	return plan_start("public", json::parse(migration), catalog, json::object(), parser);
}

std::string plan_error(const std::string &migration, const json &catalog = empty_catalog)
{
	try {
		plan(migration, catalog);
		return "";
	} catch (const Error &error) {
		return std::string(error.code()) + " " + error.what();
	}
}

}  // namespace

TEST(CreateTablePlan, WritesOneCreateTableWithPgrollDefaults)
{
	json result = plan(R"json({"name": "01_create", "operations": [{"create_table": {"name": "customers", "columns": [
	    {"name": "id", "type": "integer", "pk": true},
	    {"name": "name", "type": "varchar(255)", "unique": true},
	    {"name": "credit_card", "type": "text", "nullable": true}]}}]})json");
	EXPECT_EQ(result["version_schema"], "public_01_create");
	ASSERT_EQ(result["start"].size(), 1u);
	EXPECT_EQ(result["start"][0]["sql"],
	          "CREATE TABLE \"public\".\"customers\" (\n"
	          "  \"id\" integer NOT NULL,\n"
	          "  \"name\" varchar(255) NOT NULL UNIQUE,\n"
	          "  \"credit_card\" text,\n"
	          "  PRIMARY KEY (\"id\")\n)");
	EXPECT_EQ(result["start"][0]["op"], "operations[0] (create_table \"customers\")");
	EXPECT_EQ(result["complete"].size(), 0u);
	ASSERT_EQ(result["rollback"].size(), 1u);
	EXPECT_EQ(result["rollback"][0]["sql"], "DROP TABLE IF EXISTS \"public\".\"customers\"");
	EXPECT_EQ(result["overlay"]["tables"][0]["columns"].dump(),
	          R"([["id","id"],["name","name"],["credit_card","credit_card"]])");
}

TEST(CreateTablePlan, VersionSchemaOverridesTheName)
{
	json result = plan(R"({"name": "56_with_version_schema", "version_schema": "v56", "operations": []})");
	EXPECT_EQ(result["version_schema"], "public_v56");
}

TEST(CreateTablePlan, ReferencesTablesOfTheSameMigrationAndItself)
{
	json result = plan(R"({"name": "m", "operations": [
	  {"create_table": {"name": "a", "columns": [{"name": "id", "type": "int", "pk": true}]}},
	  {"create_table": {"name": "b", "columns": [
	     {"name": "id", "type": "int", "pk": true},
	     {"name": "parent", "type": "int", "nullable": true,
	      "references": {"name": "b_parent", "table": "b", "column": "id", "deferrable": true}},
	     {"name": "a_id", "type": "int", "references": {"name": "b_a", "table": "a", "column": "id", "on_delete": "set null"}}]}}]})");
	std::string create = result["start"][1]["sql"];
	EXPECT_NE(create.find("CONSTRAINT \"b_parent\" REFERENCES \"public\".\"b\" (\"id\") MATCH SIMPLE ON DELETE NO ACTION "
	                      "ON UPDATE NO ACTION DEFERRABLE INITIALLY IMMEDIATE"),
	          std::string::npos)
	    << create;
	EXPECT_NE(create.find("REFERENCES \"public\".\"a\" (\"id\") MATCH SIMPLE ON DELETE SET NULL"), std::string::npos);
	// Rollback undoes the later table first.
	EXPECT_EQ(result["rollback"][0]["sql"], "DROP TABLE IF EXISTS \"public\".\"b\"");
	EXPECT_EQ(result["rollback"][1]["sql"], "DROP TABLE IF EXISTS \"public\".\"a\"");
}

TEST(CreateTablePlan, TableConstraintsOfEveryKind)
{
	json result = plan(R"({"name": "m", "operations": [
	  {"create_table": {"name": "p", "columns": [{"name": "id", "type": "serial"}, {"name": "z", "type": "int"}],
	    "constraints": [{"name": "p_pk", "type": "primary_key", "columns": ["id", "z"]}]}},
	  {"create_table": {"name": "t", "comment": "it's a table", "columns": [
	     {"name": "id", "type": "serial"}, {"name": "pid", "type": "int"}, {"name": "pz", "type": "int"},
	     {"name": "title", "type": "text", "comment": "the title"}, {"name": "n", "type": "int"}],
	   "constraints": [
	     {"name": "t_pk", "type": "primary_key", "columns": ["id"]},
	     {"name": "t_fk", "type": "foreign_key", "columns": ["pid", "pz"], "deferrable": true, "initially_deferred": true,
	      "references": {"table": "p", "columns": ["id", "z"], "on_delete": "SET NULL", "on_delete_set_columns": ["pid"], "match_type": "FULL"}},
	     {"name": "t_uq", "type": "unique", "columns": ["title"], "nulls_not_distinct": true,
	      "index_parameters": {"include_columns": ["n"], "storage_parameters": "fillfactor=70"}},
	     {"name": "t_chk", "type": "check", "check": "n > 0", "no_inherit": true},
	     {"name": "t_ex", "type": "exclude", "exclude": {"index_method": "btree", "elements": "title WITH =", "predicate": "title IS NOT NULL"}}]}}]})");
	std::string create = result["start"][1]["sql"];
	for (const char *clause :
	     {"CONSTRAINT \"t_pk\" PRIMARY KEY (\"id\")",
	      "CONSTRAINT \"t_fk\" FOREIGN KEY (\"pid\", \"pz\") REFERENCES \"public\".\"p\" (\"id\", \"z\") MATCH FULL "
	      "ON DELETE SET NULL (\"pid\") ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED",
	      "CONSTRAINT \"t_uq\" UNIQUE NULLS NOT DISTINCT (\"title\") INCLUDE (\"n\") WITH (fillfactor=70)",
	      "CONSTRAINT \"t_chk\" CHECK (n > 0) NO INHERIT",
	      "CONSTRAINT \"t_ex\" EXCLUDE USING \"btree\" (title WITH =) WHERE (title IS NOT NULL)"})
		EXPECT_NE(create.find(clause), std::string::npos) << clause << "\n" << create;
	EXPECT_EQ(result["start"][2]["sql"], "COMMENT ON COLUMN \"public\".\"t\".\"title\" IS 'the title'");
	EXPECT_EQ(result["start"][3]["sql"], "COMMENT ON TABLE \"public\".\"t\" IS 'it''s a table'");
}

TEST(CreateTablePlan, GeneratedAndIdentityColumns)
{
	json result = plan(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "id", "type": "bigint", "pk": true, "generated": {"identity": {"user_specified_values": "BY DEFAULT", "sequence_options": "START 10"}}},
	    {"name": "a", "type": "int", "default": "1"},
	    {"name": "b", "type": "int", "generated": {"expression": "a * 2"}}]}}]})");
	std::string create = result["start"][0]["sql"];
	EXPECT_NE(create.find("\"id\" bigint GENERATED BY DEFAULT AS IDENTITY (START 10),"), std::string::npos) << create;
	EXPECT_NE(create.find("\"a\" int DEFAULT 1 NOT NULL"), std::string::npos);
	EXPECT_NE(create.find("\"b\" int GENERATED ALWAYS AS (a * 2) STORED NOT NULL"), std::string::npos);
}

TEST(CreateTablePlan, RefusesWhatCannotWork)
{
	json catalog = json::parse(R"({"name": "public", "tables": {"users": {"name": "users", "oid": "1",
	    "columns": {"id": {"name": "id", "type": "integer", "nullable": false, "unique": true, "attnum": 1}},
	    "primaryKey": ["id"]}}})");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "users", "columns": []}}]})", catalog),
	          "42P07 operations[0] (create_table \"users\"): table \"users\" already exists in schema \"public\"");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int", "references": {"name": "f", "table": "nope", "column": "id"}}]}}]})"),
	          "42P01 operations[0] (create_table \"t\"): referenced table \"nope\" does not exist in schema \"public\"");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int", "references": {"name": "f", "table": "users", "column": "nope"}}]}}]})", catalog),
	          "42703 operations[0] (create_table \"t\"): column \"nope\" does not exist in table \"users\"");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int"}, {"name": "a", "type": "text"}]}}]})"),
	          "42701 operations[0] (create_table \"t\"): column \"a\" is specified more than once");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int", "pk": true}], "constraints": [{"name": "pk", "type": "primary_key", "columns": ["a"]}]}}]})"),
	          "22023 operations[0] (create_table \"t\"): constraints[0]: the table already has a primary key from columns marked \"pk\"");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int"}], "constraints": [{"name": "u", "type": "unique", "columns": ["b"]}]}}]})"),
	          "42703 operations[0] (create_table \"t\"): column \"b\" does not exist in table \"t\"");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int"}], "constraints": [{"name": "c", "type": "check", "check": "a > 0", "deferrable": true}]}}]})"),
	          "22023 operations[0] (create_table \"t\"): constraints[0]: check constraints cannot be deferrable");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int", "check": {"name": "c", "constraint": "a > 0"}}],
	    "constraints": [{"name": "c", "type": "check", "check": "a < 9"}]}}]})"),
	          "42710 operations[0] (create_table \"t\"): constraint \"c\" is defined more than once on table \"t\"");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": "t", "columns": [
	    {"name": "a", "type": "int", "default": "1", "generated": {"expression": "2"}}]}}]})"),
	          "22023 operations[0] (create_table \"t\"): columns[0]: column \"a\": a generated column cannot have a default");
	EXPECT_EQ(plan_error(R"({"operations": []})"), "22023 invalid migration: it has no \"name\"");
	std::string long_name(60, 'x');
	EXPECT_EQ(plan_error(R"({"name": ")" + long_name + R"(", "operations": []})").substr(0, 5), "42622");
	EXPECT_EQ(plan_error(R"({"name": "m", "operations": [{"create_table": {"name": ")" + std::string(64, 't') +
	                     R"(", "columns": []}}]})")
	              .substr(0, 5),
	          "42622");
}

TEST(CreateTablePlan, PartitionedTableAndItsPartitionsInOrder)
{
	json result = plan(R"json({"name": "01", "operations": [{"create_table": {"name": "job", "columns": [
	    {"name": "id", "type": "bigint"}, {"name": "name", "type": "text"}],
	    "constraints": [{"name": "job_pkey", "type": "primary_key", "columns": ["name", "id"]}],
	    "partition_by": {"strategy": "list", "columns": ["name"]},
	    "partitions": [{"name": "job_rest", "default": true}]}}]})json");
	ASSERT_EQ(result["start"].size(), 2u);
	EXPECT_EQ(result["start"][0]["sql"],
	          "CREATE TABLE \"public\".\"job\" (\n"
	          "  \"id\" bigint NOT NULL,\n"
	          "  \"name\" text NOT NULL,\n"
	          "  CONSTRAINT \"job_pkey\" PRIMARY KEY (\"name\", \"id\")\n) PARTITION BY LIST (\"name\")");
	EXPECT_EQ(result["start"][1]["sql"], "CREATE TABLE \"public\".\"job_rest\" PARTITION OF \"public\".\"job\" DEFAULT");
	// Rollback drops the partitioned table, and its partitions with it.
	ASSERT_EQ(result["rollback"].size(), 1u);
	EXPECT_EQ(result["rollback"][0]["sql"], "DROP TABLE IF EXISTS \"public\".\"job\"");
}

TEST(CreateTablePlan, PartitionBoundsOfEachStrategy)
{
	json result = plan(R"json({"name": "01", "operations": [{"create_table": {"name": "h", "columns": [
	    {"name": "k", "type": "int"}], "partition_by": {"strategy": "HASH", "columns": ["k"]},
	    "partitions": [{"name": "h0", "modulus": 4, "remainder": 3}]}}]})json");
	EXPECT_EQ(result["start"][1]["sql"],
	          "CREATE TABLE \"public\".\"h0\" PARTITION OF \"public\".\"h\" FOR VALUES WITH (MODULUS 4, REMAINDER 3)");
	// RANGE ends of MINVALUE and MAXVALUE need no parser; other values do (NoParser would throw).
	result = plan(R"json({"name": "01", "operations": [{"create_table": {"name": "r", "columns": [
	    {"name": "k", "type": "int"}], "partition_by": {"strategy": "range", "columns": ["k"]},
	    "partitions": [{"name": "r0", "from": ["minvalue"], "to": ["MAXVALUE"]}]}}]})json");
	EXPECT_EQ(result["start"][1]["sql"],
	          "CREATE TABLE \"public\".\"r0\" PARTITION OF \"public\".\"r\" FOR VALUES FROM (MINVALUE) TO (MAXVALUE)");
	EXPECT_EQ(plan_error(R"json({"name": "01", "operations": [{"create_table": {"name": "r", "columns": [
	    {"name": "k", "type": "int"}], "partition_by": {"strategy": "range", "columns": ["k"]},
	    "partitions": [{"name": "r0", "from": ["MINVALUE"]}]}}]})json"),
	          "22023 operations[0] (create_table \"r\"): a RANGE partition needs both \"from\" and \"to\"");
	EXPECT_EQ(plan_error(R"json({"name": "01", "operations": [{"create_table": {"name": "r", "columns": [
	    {"name": "k", "type": "int"}], "partition_by": {"strategy": "range", "columns": ["k"]},
	    "partitions": [{"name": "r0", "from": [], "to": ["MAXVALUE"]}]}}]})json"),
	          "22023 operations[0] (create_table \"r\"): partition bound \"from\" lists no value");
}
