#include "core/backfill_throttle.hpp"

#include <gtest/gtest.h>

using pgshift::AppLoad;
using pgshift::decide_throttle;
using pgshift::RecentAverage;
using pgshift::RecentRate;
using pgshift::ThrottleSettings;
using pgshift::ThrottleTuning;

TEST(BackfillThrottle, IdleMachineRunsAtFullSpeedInLongBatches) {
	const auto decision = decide_throttle(ThrottleSettings{}, AppLoad{0.1, 0.2}, 2, 100.0, 20000);
	EXPECT_EQ(decision.state, "full speed");
	EXPECT_EQ(decision.pause_ms, 0.0);
	EXPECT_EQ(decision.batch_target_ms, ThrottleTuning::idle_batch_ms);
	EXPECT_NE(decision.reason.find("idle"), std::string::npos) << decision.reason;
}

TEST(BackfillThrottle, SaturatedMachineYieldsToTheFloor) {
	// Other work keeps both CPUs busy: batches run the floor's share of the time, and are short.
	const auto decision = decide_throttle(ThrottleSettings{}, AppLoad{1.1, 1.95}, 2, 20.0, 1500);
	EXPECT_EQ(decision.state, "yielding");
	EXPECT_EQ(decision.batch_target_ms, ThrottleTuning::busy_batch_ms);
	EXPECT_NEAR(decision.pause_ms, 20.0 * (1 - ThrottleTuning::floor_duty) / ThrottleTuning::floor_duty, 1e-9);
	EXPECT_NE(decision.reason.find("1.9 of 2 CPUs"), std::string::npos) << decision.reason;
	EXPECT_NE(decision.reason.find("6%"), std::string::npos) << decision.reason;
}

TEST(BackfillThrottle, TheLargerOfSessionsAndCpusIsTheLoad) {
	// Four sessions busy on two CPUs, whatever the CPU reading says.
	EXPECT_EQ(decide_throttle(ThrottleSettings{}, AppLoad{4.0, 0.3}, 2, 20.0, 100).state, "yielding");
	// Half a CPU left: batches half of the time.
	const auto half = decide_throttle(ThrottleSettings{}, AppLoad{0.5, 1.5}, 2, 20.0, 100);
	EXPECT_NEAR(half.pause_ms, 20.0, 1e-9);
}

TEST(BackfillThrottle, AFreeCpuIsTaken) {
	const auto decision = decide_throttle(ThrottleSettings{}, AppLoad{1.0, 0.9}, 2, 20.0, 1000);
	EXPECT_EQ(decision.state, "full speed");
	EXPECT_EQ(decision.pause_ms, 0.0);
	EXPECT_EQ(decision.batch_target_ms, ThrottleTuning::busy_batch_ms);   // still short: the app's rows are locked briefly
}

TEST(BackfillThrottle, OffIgnoresTheLoad) {
	ThrottleSettings off;
	off.load_aware = false;
	const auto decision = decide_throttle(off, AppLoad{8.0, 2.0}, 2, 100.0, 20000);
	EXPECT_EQ(decision.state, "full speed");
	EXPECT_EQ(decision.pause_ms, 0.0);
	EXPECT_EQ(decision.batch_target_ms, ThrottleTuning::idle_batch_ms);
}

TEST(BackfillThrottle, RateLimitPausesAndCapsTheBatch) {
	ThrottleSettings bounded;
	bounded.load_aware = false;
	bounded.max_rows_per_second = 5000;
	// 500 rows in 10 ms at most 5000 rows/s: the cycle must last 100 ms.
	const auto decision = decide_throttle(bounded, AppLoad{}, 2, 10.0, 500);
	EXPECT_EQ(decision.state, "rate limit");
	EXPECT_NEAR(decision.pause_ms, 90.0, 1e-9);
	ASSERT_TRUE(decision.max_batch_rows.has_value());
	EXPECT_EQ(*decision.max_batch_rows, 500);
	bounded.max_rows_per_second = 3;
	EXPECT_EQ(*decide_throttle(bounded, AppLoad{}, 2, 10.0, 1).max_batch_rows, 1);
}

TEST(BackfillThrottle, DutyCycleBoundsEvenAnIdleMachine) {
	ThrottleSettings bounded;
	bounded.duty_cycle = 0.25;
	const auto decision = decide_throttle(bounded, AppLoad{}, 2, 40.0, 5000);
	EXPECT_EQ(decision.state, "duty cycle");
	EXPECT_NEAR(decision.pause_ms, 120.0, 1e-9);
	// A duty cycle above the load's changes nothing.
	bounded.duty_cycle = 0.9;
	EXPECT_EQ(decide_throttle(bounded, AppLoad{4.0, 2.0}, 2, 20.0, 100).state, "yielding");
}

TEST(BackfillThrottle, TheLongestPauseWinsAndNamesItsReason) {
	ThrottleSettings bounded;
	bounded.batch_delay_ms = 1000;
	bounded.max_rows_per_second = 100000;
	const auto decision = decide_throttle(bounded, AppLoad{}, 2, 10.0, 100);
	EXPECT_EQ(decision.state, "delay");
	EXPECT_EQ(decision.pause_ms, 1000.0);
}

TEST(RecentAverage, FollowsTheSamplesOverItsSpan) {
	RecentAverage average(1.0);
	EXPECT_TRUE(average.empty());
	average.add(4.0, 10.0);
	EXPECT_EQ(average.value(), 4.0);
	for (int i = 1; i <= 100; i++)
		average.add(0.0, 10.0 + i * 0.05);   // five seconds of zeros
	EXPECT_LT(average.value(), 0.05);
	average.add(2.0, 15.05);   // one sample 50 ms later moves it a little
	EXPECT_GT(average.value(), 0.05);
	EXPECT_LT(average.value(), 0.2);
}

TEST(RecentRate, CountsRowsOverTimeIncludingPauses) {
	RecentRate rate;
	EXPECT_FALSE(rate.rows_per_second());
	rate.add(0, 0.0);
	EXPECT_FALSE(rate.rows_per_second());
	rate.add(1000, 0.5);
	ASSERT_TRUE(rate.rows_per_second());
	EXPECT_NEAR(*rate.rows_per_second(), 2000.0, 1e-6);
	for (int i = 1; i <= 40; i++)
		rate.add(100, 0.5 + i * 0.5);   // 200 rows/s for 20 s
	EXPECT_NEAR(*rate.rows_per_second(), 200.0, 5.0);
}
