// The recent speed of a backfill as the CLI shows it.
#include <gtest/gtest.h>

#include "rate_meter.hpp"

namespace pgshift::cli {
namespace {

TEST(RateMeter, NeedsSomeTimeBeforeItKnows) {
	RateMeter meter(5, 1);
	EXPECT_FALSE(meter.add(1, 0, 10.0));
	EXPECT_FALSE(meter.add(1, 500, 10.5));
	EXPECT_DOUBLE_EQ(*meter.add(1, 1000, 11.0), 1000);
}

TEST(RateMeter, ForgetsWhatIsOlderThanTheWindow) {
	RateMeter meter(5, 1);
	meter.add(1, 0, 0);
	meter.add(1, 0, 1);   // stalled (e.g. the server was down)...
	meter.add(1, 0, 2);
	meter.add(1, 100, 3);
	meter.add(1, 200, 4);
	meter.add(1, 300, 5);
	meter.add(1, 400, 6);
	meter.add(1, 500, 7);
	// ...but over the last 5 s it ran at 100 rows/s.
	EXPECT_DOUBLE_EQ(*meter.add(1, 600, 8), 100);
}

TEST(RateMeter, StartsOverForAnotherJobOrARetry) {
	RateMeter meter(5, 1);
	meter.add(1, 0, 0);
	EXPECT_DOUBLE_EQ(*meter.add(1, 100, 1), 100);
	EXPECT_FALSE(meter.add(2, 10, 1.5));
	EXPECT_DOUBLE_EQ(*meter.add(2, 30, 2.5), 20);
	EXPECT_FALSE(meter.add(2, 5, 3));   // fewer rows than before: a retry from an older checkpoint
}

}  // namespace
}  // namespace pgshift::cli
