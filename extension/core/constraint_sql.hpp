// SQL for the constraint clauses of the migration format: column-level check and references,
// table-level unique, check, primary_key, foreign_key and exclude. Shared by the operations that
// create tables, columns and constraints.
#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/operation_plan.hpp"

namespace pgshift {

// A table a new constraint may point at: an existing one, or the one being created.
struct ReferenceTarget {
	PlanningContext &context;
	const VirtualTable *being_created = nullptr;

	const VirtualTable &table(const std::string &name) const;  // throws undefined_table
};

// Column name -> physical column name, throwing undefined_column naming `table`.
std::string physical_column(const VirtualTable &table, const std::string &column);

// ` CONSTRAINT "n" CHECK (expr) [NO INHERIT]` from a CheckConstraint object.
std::string column_check_sql(const json &check);

// ` CONSTRAINT "n" REFERENCES "s"."t" ("c") MATCH m ON DELETE a ON UPDATE b [DEFERRABLE ...]`
// from a ForeignKeyReference object.
std::string column_references_sql(const json &references, const ReferenceTarget &target);

// `CONSTRAINT "n" ...` for one entry of create_table's `constraints` list, with its column names
// already mapped to physical ones by `physical_of`.
std::string table_constraint_sql(const json &constraint, const VirtualTable &table, const ReferenceTarget &target);

// Validates one `constraints` entry (type-specific rules of the format). `label` prefixes messages.
void check_table_constraint(const json &constraint, const VirtualTable &table, const ReferenceTarget &target,
                            const std::string &label);

}  // namespace pgshift
