// The order of the renames complete runs last.
#include <gtest/gtest.h>

#include "core/final_renames.hpp"

namespace pgshift {
namespace {

std::string describe(const std::vector<Rename> &renames)
{
	std::string text;
	for (const auto &rename : renames)
		text += (text.empty() ? "" : ", ") + rename.from + "->" + rename.to;
	return text;
}

TEST(OrderRenames, NothingToDo)
{
	EXPECT_EQ(describe(order_renames({{"a", "a"}, {"b", "b"}})), "");
}

TEST(OrderRenames, RenameThenAddUnderTheOldName)
{
	// rename_column a -> a2, add_column a (on disk as _pgshift_new_a): a must move first.
	EXPECT_EQ(describe(order_renames({{"_pgshift_new_a", "a"}, {"a", "a2"}})), "a->a2, _pgshift_new_a->a");
}

TEST(OrderRenames, Chain)
{
	EXPECT_EQ(describe(order_renames({{"a", "b"}, {"b", "c"}, {"c", "d"}})), "c->d, b->c, a->b");
}

TEST(OrderRenames, SwapGoesThroughATemporaryName)
{
	EXPECT_EQ(describe(order_renames({{"a", "b"}, {"b", "a"}})), "a->_pgshift_swap_1, b->a, _pgshift_swap_1->b");
}

}  // namespace
}  // namespace pgshift
