// A backfill batch that computes the new columns itself, instead of firing the dual-write trigger
// with a no-op update. PostgreSQL locks every row an UPDATE changes a second time (and logs the
// lock) when the table has a BEFORE UPDATE row trigger; a batch whose SET list holds the up
// expressions fires none, so it costs what a plain UPDATE costs.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pgshift {

// One up assignment of a table's dual-write trigger, in the trigger's order.
struct BatchAssignment {
	int target;             // the column it writes (attribute number)
	std::set<int> reads;    // the columns its expression reads
	bool has_subquery;      // such an expression runs as a query of its own, for each row
};

// Whether a SET list computes what the trigger computes: the trigger runs the assignments in turn,
// each seeing what the earlier ones wrote, while a SET list's expressions all see the row as it
// was. So: no assignment reads a column an earlier one writes, no column is written twice (a SET
// list cannot), and none has a subquery (kept on the trigger, whose prepared query it is).
bool batch_can_compute(const std::vector<BatchAssignment> &assignments);

// The batch statement with its no-op assignment (`SET "c" = _pgshift_t."c"`, as pgshift has built
// batches since 0.1.0) replaced by `set_list`; nothing when the statement has no such assignment
// (a batch built otherwise keeps firing the trigger).
std::optional<std::string> batch_with_assignments(const std::string &statement, const std::string &set_list);

}  // namespace pgshift
