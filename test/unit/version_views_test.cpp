#include <gtest/gtest.h>

#include "core/version_views.hpp"

using namespace pgshift;

TEST(VersionViews, ExplicitOverlayMapsVirtualToPhysicalNames)
{
	json overlay = json::parse(R"({"tables": [{"name": "clients", "physical": "customers",
	    "columns": [["id", "id"], ["email", "_pgshift_new_email"]], "defaults": {"email": "'none'"}}]})");
	auto statements = version_schema_sql("public", "public_02", json::object(), overlay);
	ASSERT_EQ(statements.size(), 3u);
	EXPECT_EQ(statements[0], "CREATE SCHEMA \"public_02\"");
	EXPECT_EQ(statements[1], "CREATE VIEW \"public_02\".\"clients\" WITH (security_invoker = true, check_option = local) "
	                         "AS SELECT \"id\", \"_pgshift_new_email\" AS \"email\" FROM \"public\".\"customers\" "
	                         "WHERE pgshift._version_view_open()");
	EXPECT_EQ(statements[2], "ALTER VIEW \"public_02\".\"clients\" ALTER COLUMN \"email\" SET DEFAULT 'none'");
}

TEST(VersionViews, WithoutOverlayEveryTableAsTheCatalogHasItInColumnOrder)
{
	json catalog = json::parse(R"({"name": "app", "tables": {
	    "t": {"name": "t", "columns": {"b": {"name": "b", "attnum": 2}, "a": {"name": "a", "attnum": 1},
	                                   "_pgshift_new_b": {"name": "_pgshift_new_b", "attnum": 3}}},
	    "t_2026": {"name": "t_2026", "partitionOf": "t", "columns": {"a": {"name": "a", "attnum": 1}}},
	    "_pgshift_del_old": {"name": "_pgshift_del_old", "columns": {}}}})");
	auto statements = version_schema_sql("app", "app_v1", catalog, json::object());
	ASSERT_EQ(statements.size(), 2u) << "no view for an internal table nor for a partition";
	EXPECT_EQ(statements[1], "CREATE VIEW \"app_v1\".\"t\" WITH (security_invoker = true, check_option = local) AS "
	                         "SELECT \"a\", \"b\" FROM \"app\".\"t\" WHERE pgshift._version_view_open()");
}

TEST(VersionViews, ViewColumnsTakeTheTableColumnsDefaults)
{
	json catalog = json::parse(R"json({"name": "app", "tables": {"t": {"name": "t", "columns": {
	    "id": {"name": "id", "attnum": 1, "identity": "BY DEFAULT"},
	    "serial_id": {"name": "serial_id", "attnum": 2, "default": "nextval('app.t_serial_id_seq'::regclass)"},
	    "total": {"name": "total", "attnum": 3, "default": "0"},
	    "doubled": {"name": "doubled", "attnum": 4, "generated": "(total * 2)"},
	    "always": {"name": "always", "attnum": 5, "identity": "ALWAYS"}}}}})json");
	auto statements = version_schema_sql("app", "app_v1", catalog, json::object());
	ASSERT_EQ(statements.size(), 5u);
	EXPECT_EQ(statements[2], "SELECT pgshift._view_identity_default('\"app_v1\".\"t\"', 'id', '\"app\".\"t\"', 'id')");
	EXPECT_EQ(statements[3], "ALTER VIEW \"app_v1\".\"t\" ALTER COLUMN \"serial_id\" SET DEFAULT "
	                         "nextval('app.t_serial_id_seq'::regclass)");
	EXPECT_EQ(statements[4], "ALTER VIEW \"app_v1\".\"t\" ALTER COLUMN \"total\" SET DEFAULT 0");
}

TEST(VersionViews, PendingViewsRefuseAndPublishingOnlyReplacesThem)
{
	json overlay = json::parse(R"({"tables": [{"name": "t", "physical": "t", "columns": [["id", "id"]], "defaults": {}}]})");
	VersionViewOptions pending;
	pending.pending = true;
	pending.version_name = "app_02";
	auto created = version_schema_sql("app", "_pgshift_pending_x", json::object(), overlay, pending);
	ASSERT_EQ(created.size(), 2u);
	EXPECT_EQ(created[1], "CREATE VIEW \"_pgshift_pending_x\".\"t\" WITH (security_invoker = true, check_option = local) "
	                      "AS SELECT \"id\" FROM \"app\".\"t\" WHERE pgshift._version_view_pending('app_02')");
	VersionViewOptions publish;
	publish.replace = true;
	auto replaced = version_schema_sql("app", "_pgshift_pending_x", json::object(), overlay, publish);
	ASSERT_EQ(replaced.size(), 1u);
	EXPECT_EQ(replaced[0], "CREATE OR REPLACE VIEW \"_pgshift_pending_x\".\"t\" WITH (security_invoker = true, "
	                       "check_option = local) AS SELECT \"id\" FROM \"app\".\"t\" WHERE pgshift._version_view_open()");
}

TEST(VersionViews, LegacyViewsAreThoseOf010)
{
	json overlay = json::parse(R"({"tables": [{"name": "t", "physical": "t", "columns": [["id", "id"]], "defaults": {"id": "1"}}]})");
	VersionViewOptions legacy;
	legacy.legacy = true;
	auto statements = version_schema_sql("app", "app_01", json::object(), overlay, legacy);
	ASSERT_EQ(statements.size(), 3u);
	EXPECT_EQ(statements[1], "CREATE VIEW \"app_01\".\"t\" WITH (security_invoker = true) AS SELECT \"id\" FROM \"app\".\"t\"");
	EXPECT_EQ(statements[2], "ALTER VIEW \"app_01\".\"t\" ALTER COLUMN \"id\" SET DEFAULT 1");
}
