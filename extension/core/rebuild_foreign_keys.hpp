// The foreign keys of other tables that point at a table being rebuilt (rebuild_table): they must
// point at the rebuild once it takes the table's place. Each gets a copy onto the rebuild, made by
// the worker after the copy of the rows (NOT VALID, then VALIDATE: both online, and the copy proves
// every referencing row has its row in the rebuild); complete drops the original, which would keep
// the table from being dropped, and gives the copy its name. Until then both hold, and the tables
// are in step, so a write one of them refuses fails. Rollback drops the copies.
#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/operation_plan.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

struct ReferencingKey {
	std::string table;       // the referencing table (physical)
	std::string name;        // the foreign key's name
	json catalog;            // its read_schema() entry
};

// The foreign keys of the schema's other tables that reference `table` (as read_schema() saw it);
// refuses those the rebuild cannot point at itself: a self-reference, a key from a partitioned
// table (PostgreSQL 15 adds none NOT VALID), from a table rebuilt too, with a column list on SET
// NULL/DEFAULT, or on columns the rebuild keeps no unique constraint on (`new_key` is its key).
std::vector<ReferencingKey> keys_referencing(const VirtualTable &table, const std::vector<std::string> &new_key,
                                             const PlanningContext &context);

// After every operation of the migration: refuses what a later operation did that would keep a
// rebuilt table's referencing keys from following it (complete could never succeed): the
// referencing table dropped or rebuilt, the key's columns changed on either table.
void check_rebuilt_references(const PlanningContext &context);

// A start step that refuses, naming it, a foreign key from another schema that points at the table
// (read_schema() sees the managed schema only).
Statement refuse_foreign_schema_keys_sql(const std::string &old_qualified);

// The worker's jobs, complete's steps (before the swap, which drops the table) and rollback's steps
// (before the rebuild is dropped) for those keys. `old_qualified`, `new_qualified`: the two tables.
void plan_referencing_keys(const std::vector<ReferencingKey> &keys, const std::string &old_qualified,
                           const std::string &new_qualified, const PlanningContext &context, OperationPlan &plan);

}  // namespace pgshift
