#include "core/batch_assignments.hpp"
#include "core/dual_write_plan.hpp"

#include <gtest/gtest.h>

using pgshift::BatchAssignment;
using pgshift::batch_can_compute;

namespace {
// The statement with its no-op assignment replaced by `set_list`, as the worker builds it from the span.
std::optional<std::string> batch_with_assignments(const std::string &statement, const std::string &set_list)
{
	std::optional<pgshift::TextSpan> span = pgshift::no_op_assignment(statement);
	if (!span)
		return std::nullopt;
	return statement.substr(0, span->offset) + set_list + statement.substr(span->offset + span->length);
}
}  // namespace

TEST(BatchAssignments, IndependentAssignmentsGoInTheSetList) {
	EXPECT_TRUE(batch_can_compute({{3, {2}, false}}));
	EXPECT_TRUE(batch_can_compute({{3, {2}, false}, {4, {1, 2}, false}}));
	// Reading its own target, or a later one's, reads the row as it was, as the trigger does.
	EXPECT_TRUE(batch_can_compute({{3, {3}, false}, {4, {2}, false}}));
	EXPECT_TRUE(batch_can_compute({{3, {4}, false}, {4, {2}, false}}));
}

TEST(BatchAssignments, WhatOnlyTheTriggerComputesStaysOnIt) {
	EXPECT_FALSE(batch_can_compute({}));
	// The trigger's second assignment sees the first one's value; a SET list would not.
	EXPECT_FALSE(batch_can_compute({{3, {2}, false}, {4, {3}, false}}));
	// A SET list cannot write a column twice.
	EXPECT_FALSE(batch_can_compute({{3, {2}, false}, {3, {1}, false}}));
	EXPECT_FALSE(batch_can_compute({{3, {2}, true}}));
	EXPECT_FALSE(batch_can_compute({{3, {2}, false}, {4, {1}, true}}));
}

TEST(BatchAssignments, ReplacesTheNoOpAssignmentOfEveryBatchShape) {
	const std::string set_list = "\"new\" = upper(_pgshift_t.name), \"b\" = 1";
	pgshift::json keyed = {{"primaryKey", {"id"}}, {"columns", {{"id", {{"name", "id"}, {"type", "integer"}}}}}};
	for (const pgshift::json &catalog : {keyed, pgshift::json::object()}) {
		std::string statement = pgshift::backfill_batch_sql("s", "t", catalog, "new");
		auto replaced = batch_with_assignments(statement, set_list);
		ASSERT_TRUE(replaced.has_value()) << statement;
		EXPECT_EQ(replaced->find("_pgshift_t.\"new\""), std::string::npos);
		EXPECT_NE(replaced->find(" _pgshift_t SET " + set_list + " WHERE "), std::string::npos) << *replaced;
		// Everything else is the statement as it was.
		EXPECT_EQ(replaced->size(), statement.size() - std::string("\"new\" = _pgshift_t.\"new\"").size() + set_list.size());
	}
}

TEST(BatchAssignments, QuotedNamesAreMatchedWhole) {
	auto replaced = batch_with_assignments("UPDATE x _pgshift_t SET \"a\"\"b\" = _pgshift_t.\"a\"\"b\" WHERE true", "c = 1");
	ASSERT_TRUE(replaced.has_value());
	EXPECT_EQ(*replaced, "UPDATE x _pgshift_t SET c = 1 WHERE true");
}

TEST(BatchAssignments, StatementsOfAnotherShapeAreLeftAlone) {
	// 0.1.0-0.4.0's batches of a table without a key: no alias.
	EXPECT_FALSE(batch_with_assignments("WITH updated AS (UPDATE s.t SET \"c\" = \"c\" WHERE ctid >= '(0,0)')", "c = 1"));
	EXPECT_FALSE(batch_with_assignments("UPDATE x _pgshift_t SET \"a\" = _pgshift_t.\"b\" WHERE true", "c = 1"));
	EXPECT_FALSE(batch_with_assignments("UPDATE x _pgshift_t SET \"a\" = _pgshift_t.\"a\", \"b\" = 1 WHERE true", "c = 1"));
	EXPECT_FALSE(batch_with_assignments("UPDATE x _pgshift_t SET a = _pgshift_t.a WHERE true", "c = 1"));
	EXPECT_FALSE(batch_with_assignments("UPDATE x _pgshift_t SET \"a = _pgshift_t.a WHERE true", "c = 1"));
	EXPECT_FALSE(batch_with_assignments("UPDATE x _pgshift_t SET \"a\" = _pgshift_t.\"a\" WHERE true; "
	                                    "UPDATE y _pgshift_t SET \"a\" = _pgshift_t.\"a\" WHERE true", "c = 1"));
}
