// Go durations, as --backfill-batch-delay takes them.
#include <gtest/gtest.h>

#include <stdexcept>

#include "duration.hpp"

namespace pgshift::cli {
namespace {

using std::chrono::nanoseconds;

long long ns(const std::string &text) { return parse_go_duration(text).count(); }

TEST(ParseGoDuration, ReadsGoForms) {
	EXPECT_EQ(ns("0"), 0);
	EXPECT_EQ(ns("+0"), 0);
	EXPECT_EQ(ns("0s"), 0);
	EXPECT_EQ(ns("100ms"), 100'000'000);
	EXPECT_EQ(ns("1s"), 1'000'000'000);
	EXPECT_EQ(ns("1m30s"), 90'000'000'000);
	EXPECT_EQ(ns("1h"), 3'600'000'000'000);
	EXPECT_EQ(ns("1.5s"), 1'500'000'000);
	EXPECT_EQ(ns(".5s"), 500'000'000);
	EXPECT_EQ(ns("1.s"), 1'000'000'000);
	EXPECT_EQ(ns("250us"), 250'000);
	EXPECT_EQ(ns("250\xC2\xB5s"), 250'000);
	EXPECT_EQ(ns("250\xCE\xBCs"), 250'000);
	EXPECT_EQ(ns("7ns"), 7);
	EXPECT_EQ(ns("1h2m3s4ms"), 3'723'004'000'000);
	EXPECT_EQ(ns("-2s"), -2'000'000'000);
}

TEST(ParseGoDuration, RefusesWhatGoRefuses) {
	for (const char *text : {"", "-", "1", "10", "s", ".s", "1x", "1sec", "1 s", " 1s", "1s ", "1.2.3s", "ms1"})
		EXPECT_THROW(parse_go_duration(text), std::invalid_argument) << "\"" << text << "\"";
}

TEST(ParseGoDuration, MessagesNameTheText) {
	try {
		parse_go_duration("5");
		FAIL();
	} catch (const std::invalid_argument &error) {
		EXPECT_STREQ(error.what(), "invalid duration \"5\": missing unit (ns, us, ms, s, m or h)");
	}
	try {
		parse_go_duration("5d");
		FAIL();
	} catch (const std::invalid_argument &error) {
		EXPECT_STREQ(error.what(), "invalid duration \"5d\": unknown unit \"d\" (ns, us, ms, s, m or h)");
	}
}

TEST(ParseGoDuration, RefusesMoreThanGoCanHold) {
	EXPECT_NO_THROW(parse_go_duration("2562047h"));
	EXPECT_THROW(parse_go_duration("2562048h"), std::out_of_range);
	EXPECT_THROW(parse_go_duration("99999999999999999999999s"), std::out_of_range);
}

TEST(WholeMillisecondsRoundedUp, NeverTurnsADelayIntoNone) {
	EXPECT_EQ(whole_milliseconds_rounded_up(nanoseconds(0)), 0);
	EXPECT_EQ(whole_milliseconds_rounded_up(nanoseconds(1)), 1);
	EXPECT_EQ(whole_milliseconds_rounded_up(nanoseconds(1'000'000)), 1);
	EXPECT_EQ(whole_milliseconds_rounded_up(nanoseconds(1'500'000)), 2);
	EXPECT_EQ(whole_milliseconds_rounded_up(parse_go_duration("1m30s")), 90'000);
}

}  // namespace
}  // namespace pgshift::cli
