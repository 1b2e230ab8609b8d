#include "core/batch_sizing.hpp"

#include <gtest/gtest.h>

using pgshift::BatchSizing;
using pgshift::next_batch_size;

TEST(BatchSizing, StartsWithPgrollsSize) {
	EXPECT_EQ(next_batch_size(std::nullopt, std::nullopt), 1000);
	EXPECT_EQ(next_batch_size(5000, std::nullopt), 1000);
}

TEST(BatchSizing, FastBatchesGrowAtMostTwofold) {
	EXPECT_EQ(next_batch_size(1000, 5.0), 2000);
	EXPECT_EQ(next_batch_size(1000, 0.0), 2000);
	EXPECT_EQ(next_batch_size(1000, 80.0), 1250);
}

TEST(BatchSizing, SlowBatchesShrinkAtMostByHalf) {
	EXPECT_EQ(next_batch_size(10000, 200.0), 5000);
	EXPECT_EQ(next_batch_size(10000, 5000.0), 5000);
	EXPECT_EQ(next_batch_size(10000, 125.0), 8000);
}

TEST(BatchSizing, StaysWithinBounds) {
	EXPECT_EQ(next_batch_size(BatchSizing::largest, 1.0), BatchSizing::largest);
	EXPECT_EQ(next_batch_size(BatchSizing::smallest, 900.0), BatchSizing::smallest);
	EXPECT_EQ(next_batch_size(150, 900.0), BatchSizing::smallest);
}

TEST(BatchSizing, OnTargetKeepsTheSize) {
	EXPECT_EQ(next_batch_size(7000, BatchSizing::target_ms), 7000);
}
