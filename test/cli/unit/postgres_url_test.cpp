// The connection strings `pgshift latest url` prints.
#include <gtest/gtest.h>

#include "postgres_url.hpp"

namespace pgshift::cli {
namespace {

TEST(WithSearchPath, AddsOptionsToAUrl) {
	EXPECT_EQ(with_search_path("postgres://u:p@host:5432/db", "public_02_add"),
	          "postgres://u:p@host:5432/db?options=-c%20search_path%3Dpublic_02_add");
}

TEST(WithSearchPath, KeepsOtherParametersAndReplacesOptions) {
	EXPECT_EQ(with_search_path("postgresql://h/db?sslmode=disable&options=-c%20x%3Dy", "s_v"),
	          "postgresql://h/db?sslmode=disable&options=-c%20search_path%3Ds_v");
}

TEST(WithSearchPath, QuotesSchemasThatNeedIt) {
	EXPECT_EQ(with_search_path("postgresql://h/db", "My Schema"),
	          "postgresql://h/db?options=-c%20search_path%3D%22My%5C%20Schema%22");
}

TEST(WithSearchPath, ExtendsKeyValueStrings) {
	EXPECT_EQ(with_search_path("host=/tmp dbname=app", "public_v1"), "host=/tmp dbname=app options='-c search_path=public_v1'");
}

TEST(UrlFromParameters, EncodesSocketDirectoriesAndBracketsIpv6) {
	EXPECT_EQ(url_from_parameters("postgres", "/tmp/pg dir", "5432", "app"), "postgresql://postgres@%2Ftmp%2Fpg%20dir:5432/app");
	EXPECT_EQ(url_from_parameters("u", "::1", "5433", "db"), "postgresql://u@[::1]:5433/db");
	EXPECT_EQ(url_from_parameters("", "localhost", "", "db"), "postgresql://localhost/db");
}

}  // namespace
}  // namespace pgshift::cli
