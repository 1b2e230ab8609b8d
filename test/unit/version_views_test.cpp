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
	EXPECT_EQ(statements[1], "CREATE VIEW \"public_02\".\"clients\" WITH (security_invoker = true) AS SELECT \"id\", "
	                         "\"_pgshift_new_email\" AS \"email\" FROM \"public\".\"customers\"");
	EXPECT_EQ(statements[2], "ALTER VIEW \"public_02\".\"clients\" ALTER COLUMN \"email\" SET DEFAULT 'none'");
}

TEST(VersionViews, WithoutOverlayEveryTableAsTheCatalogHasItInColumnOrder)
{
	json catalog = json::parse(R"({"name": "app", "tables": {
	    "t": {"name": "t", "columns": {"b": {"name": "b", "attnum": 2}, "a": {"name": "a", "attnum": 1},
	                                   "_pgshift_new_b": {"name": "_pgshift_new_b", "attnum": 3}}},
	    "_pgshift_del_old": {"name": "_pgshift_del_old", "columns": {}}}})");
	auto statements = version_schema_sql("app", "app_v1", catalog, json::object());
	ASSERT_EQ(statements.size(), 2u);
	EXPECT_EQ(statements[1], "CREATE VIEW \"app_v1\".\"t\" WITH (security_invoker = true) AS SELECT \"a\", \"b\" FROM \"app\".\"t\"");
}
