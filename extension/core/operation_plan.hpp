// What one operation contributes to a migration: statements for start, complete and rollback.
#pragma once
#include <string>
#include <vector>

#include "core/expression_columns.hpp"
#include "core/json.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

struct OperationPlan {
	std::vector<std::string> start;
	std::vector<std::string> complete;
	std::vector<std::string> rollback;  // run in this order; operations are undone last-first
	bool refresh_views_on_complete = false;
};

// Everything an operation planner may look at or change.
struct PlanningContext {
	std::string schema;                // the managed schema, e.g. public
	VirtualSchema &virt;               // changed in place by each operation
	const ExpressionParser &parser;    // PostgreSQL's parser, for renaming columns inside expressions
	std::string new_version;           // the version schema start creates
	std::string previous_version;      // the version schema before it ("" when there is none)
};

// One planner per operation kind; each validates its body against the virtual schema, updates it,
// and fills the plan. Throws Error.
using OperationPlanner = void (*)(const json &body, PlanningContext &context, OperationPlan &plan);

void plan_create_table(const json &body, PlanningContext &context, OperationPlan &plan);

}  // namespace pgshift
