#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sql_text.hpp"

using namespace pgshift;

TEST(QuoteIdent, AlwaysQuotesAndDoublesQuotes)
{
	EXPECT_EQ(quote_ident("users"), "\"users\"");
	EXPECT_EQ(quote_ident("Mixed Case"), "\"Mixed Case\"");
	EXPECT_EQ(quote_ident("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
	EXPECT_EQ(quote_qualified("s", "t"), "\"s\".\"t\"");
}

TEST(QuoteLiteral, DoublesQuotesAndUsesEscapeStringForBackslashes)
{
	EXPECT_EQ(quote_literal("it's"), "'it''s'");
	EXPECT_EQ(quote_literal("a\\b'"), "E'a\\\\b'''");
	EXPECT_EQ(quote_literal(""), "''");
}

TEST(CheckIdentifier, RefusesWhatPostgresWouldTruncate)
{
	EXPECT_NO_THROW(check_identifier(std::string(63, 'a'), "table name"));
	try {
		check_identifier(std::string(64, 'a'), "table name");
		FAIL() << "64 bytes accepted";
	} catch (const Error &error) {
		EXPECT_STREQ(error.code(), sqlstate::name_too_long);
		EXPECT_NE(std::string(error.what()).find("64 bytes"), std::string::npos);
	}
	// Bytes, not characters: 32 two-byte characters are 64 bytes.
	std::string wide;
	for (int i = 0; i < 32; i++)
		wide += "\xc3\xa9";
	EXPECT_THROW(check_identifier(wide, "column name"), Error);
	EXPECT_THROW(check_identifier("", "column name"), Error);
}
