// The range of extension versions the CLI drives, and what it tells the user outside it.
#include <gtest/gtest.h>

#include "extension_versions.hpp"

namespace pgshift::cli {
namespace {

TEST(CompareVersions, NumbersCompareAsNumbers) {
	EXPECT_EQ(compare_versions("0.2.0", "0.2.0"), 0);
	EXPECT_LT(compare_versions("0.1.0", "0.2.0"), 0);
	EXPECT_GT(compare_versions("0.10.0", "0.9.1"), 0);
	EXPECT_EQ(compare_versions("0.2", "0.2.0"), 0);
	EXPECT_LT(compare_versions("0.2.0", "0.2.1"), 0);
	EXPECT_GT(compare_versions("1.0.0", "0.99.99"), 0);
}

TEST(CompareVersions, TextAfterNumbers) {
	EXPECT_GT(compare_versions("0.2.beta", "0.2.0"), 0);
	EXPECT_LT(compare_versions("0.2.alpha", "0.2.beta"), 0);
}

TEST(VersionRefusal, AcceptsTheRange) {
	EXPECT_FALSE(version_refusal("x", "0.2.0", "0.2.0"));
	EXPECT_FALSE(version_refusal("x", "0.2.0", "0.3.0"));
	EXPECT_FALSE(version_refusal("x", "0.3.0", "0.3.0"));
}

TEST(VersionRefusal, OlderSaysWhatToRun) {
	auto refusal = version_refusal("the pgshift extension in this database", "0.1.0", "0.2.0");
	ASSERT_TRUE(refusal);
	EXPECT_NE(refusal->find("the pgshift extension in this database is version 0.1.0"), std::string::npos) << *refusal;
	EXPECT_NE(refusal->find("ALTER EXTENSION pgshift UPDATE TO '0.2.0'"), std::string::npos) << *refusal;
}

TEST(VersionRefusal, NewerSaysWhichCli) {
	auto refusal = version_refusal("the pgshift extension in this database", "0.3.0", "0.2.0");
	ASSERT_TRUE(refusal);
	EXPECT_NE(refusal->find("newer than this pgshift CLI (0.2.0)"), std::string::npos) << *refusal;
	EXPECT_NE(refusal->find("use pgshift CLI 0.3.0 or later"), std::string::npos) << *refusal;
}

}  // namespace
}  // namespace pgshift::cli
