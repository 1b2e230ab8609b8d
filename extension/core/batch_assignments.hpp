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
	bool trigger_only;      // a SET list cannot say it: a subquery (the trigger runs it as a prepared
	                        // query), or an implicit length coercion (written out, it would truncate)
};

// Whether a SET list computes what the trigger computes: the trigger runs the assignments in turn,
// each seeing what the earlier ones wrote, while a SET list's expressions all see the row as it
// was. So: no assignment reads a column an earlier one writes, no column is written twice (a SET
// list cannot), and none is trigger_only.
bool batch_can_compute(const std::vector<BatchAssignment> &assignments);

// Where the batch statement's no-op assignment is (`"c" = _pgshift_t."c"`, after the one
// ` _pgshift_t SET ` of the batches pgshift has built since 0.1.0, before ` WHERE `): its offset and
// length, to be replaced by a SET list; nothing when the statement has no such assignment (a batch
// built otherwise keeps firing the trigger).
struct TextSpan {
	std::size_t offset, length;
};
std::optional<TextSpan> no_op_assignment(const std::string &statement);

}  // namespace pgshift
