// Column duplication, the machinery behind every incompatible column change (alter_column and the
// constraint operations): the column c gets a twin _pgshift_new_c with the new definition, which the
// new version sees as c. The twin inherits c's default, comment, NOT NULL (as a NOT VALID check),
// checks, unique constraints, foreign keys and indexes, each rewritten onto the twin; the dual-write
// trigger keeps c and its twin in step (up: c -> twin, down: twin -> c) and the worker backfills it.
// Complete drops c, renames the twin to c and gives the copied constraints and indexes their names;
// rollback drops the twin, which takes everything copied onto it along.
#pragma once
#include <optional>
#include <set>
#include <string>

#include "core/operation_plan.hpp"

namespace pgshift {

struct DuplicationRequest {
	std::string column;                        // the virtual name of c
	std::optional<std::string> new_type;       // the twin's type (default: c's)
	bool drop_not_null = false;                // the twin may hold NULLs even if c may not
	std::set<std::string> constraints_to_drop; // c's constraints the twin does not inherit
	std::string up;                            // SQL over old-version names ("" = the column itself)
	std::string down;                          // SQL over new-version names ("" = the column itself)
};

struct Duplicate {
	std::string physical;   // the twin's name
	std::string qualified;  // the table, schema-qualified and quoted
};

// Plans the duplication of columns of one table and remaps them in the virtual schema; a constraint
// or index covering several of them is copied once, onto all their twins. Operation-specific DDL
// on the twins (their new constraints) is for the caller to add to `plan`. Returns the twins in the
// order of `requests`.
std::vector<Duplicate> duplicate_columns(PlanningContext &context, VirtualTable &table,
                                         const std::vector<DuplicationRequest> &requests, OperationPlan &plan);

}  // namespace pgshift
