// Partitioned tables in a migration (a pgshift extension of pgroll's format, docs/format-extensions.md):
// the PARTITION BY clause of create_table's "partition_by" and the bound of one partition object
// ({"values": [...]}, {"from": [...], "to": [...]}, {"modulus": m, "remainder": r} or {"default": true}).
#pragma once
#include <set>
#include <string>
#include <vector>

#include "core/expression_columns.hpp"
#include "core/json.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

// `PARTITION BY LIST ("name")`; every column must be one of the table's, LIST takes exactly one.
std::string partition_by_sql(const json &partition_by, const VirtualTable &table);

// `DEFAULT` or `FOR VALUES ...` for `partition`. `strategy` (list, range, hash) is the table's when the
// migration states it; "" for an existing table, whose strategy PostgreSQL checks the bound against.
// Bound values are SQL constants such as "'a'" or "42" (as pgroll writes defaults); each must parse on
// its own and name no column; a range end may also be MINVALUE or MAXVALUE.
std::string partition_bound_sql(const json &partition, const std::string &strategy, const ExpressionParser &parser);

// The first partition key column of `partition_by` that `columns` lacks, or "" when it has them all
// (PostgreSQL enforces keys and unique indexes partition by partition: each must contain them).
std::string partition_column_outside(const json &partition_by, const std::vector<std::string> &columns);

// CREATE TABLE ... PARTITION OF `parent` (physical name, in `schema`) for each of `partitions`, in
// order, each name checked and unique among them and `taken`; with `existing`, also not a table of it.
std::vector<std::string> partitions_of_sql(const json &partitions, const std::string &schema, const std::string &parent,
                                           const std::string &strategy, const ExpressionParser &parser,
                                           std::set<std::string> taken, VirtualSchema *existing = nullptr);

// The name of the index that `index`, on a partitioned table, has on `partition`: "partition_index",
// or, past PostgreSQL's 63 bytes, its start and a hash of the whole (the same inputs, the same name).
std::string partition_index_name(const std::string &partition, const std::string &index);

}  // namespace pgshift
