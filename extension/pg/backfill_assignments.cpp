// PostgreSQL regime: plain data only in these frames (see docs/design.md). The C++ containers of
// batch_sets and no_op_span live in noexcept frames that call no PostgreSQL function.
#include <optional>
#include <string>
#include <vector>

#include "core/batch_assignments.hpp"
#include "pg/backfill_assignments.hpp"
#include "pg/dual_write_entry.hpp"
#include "pg/trusted_functions.hpp"

extern "C" {
#include "access/relation.h"
#include "access/sysattr.h"
#include "executor/spi.h"
#include "nodes/bitmapset.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
}

namespace {

Trigger *dual_write_trigger_of(Relation rel)
{
	TriggerDesc *triggers = rel->trigdesc;
	for (int i = 0; triggers != nullptr && i < triggers->numtriggers; i++)
		if (is_dual_write_trigger(triggers->triggers[i].tgname))
			return &triggers->triggers[i];
	return nullptr;
}

// The columns (attribute numbers) `expression` reads, as a palloc'd array ended by 0: all of them
// when it reads the whole row; system columns are left out (no assignment writes them).
int *columns_read(Node *expression, int column_count)
{
	Bitmapset *read = nullptr;
	pull_varattnos(expression, 1, &read);
	int *columns = static_cast<int *>(palloc(sizeof(int) * (column_count + 1)));
	int n = 0;
	if (bms_is_member(InvalidAttrNumber - FirstLowInvalidHeapAttributeNumber, read)) {
		for (int column = 1; column <= column_count; column++)
			columns[n++] = column;
	} else {
		int member = -1;
		while ((member = bms_next_member(read, member)) >= 0)
			if (member + FirstLowInvalidHeapAttributeNumber > 0)
				columns[n++] = member + FirstLowInvalidHeapAttributeNumber;
	}
	columns[n] = 0;
	return columns;
}

// Whether a SET list can compute the up assignments of `entry` (`reads`: what each one reads).
bool batch_sets(const DualWriteEntry *entry, int *const *reads) noexcept
{
	try {
		std::vector<pgshift::BatchAssignment> assignments;
		for (int i = 0; i < entry->assignment_count; i++) {
			const Assignment &assignment = entry->assignments[i];
			if (assignment.direction != Direction::up)
				continue;
			pgshift::BatchAssignment batch{assignment.compiled.target, {}, assignment.set_sql == nullptr};
			for (const int *column = reads[i]; column != nullptr && *column != 0; column++)
				batch.reads.insert(*column);
			assignments.push_back(std::move(batch));
		}
		return pgshift::batch_can_compute(assignments);
	} catch (...) {
		return false;   // (out of memory) the trigger computes them, as before
	}
}

// Where the statement's no-op assignment is (core/batch_assignments.hpp).
bool no_op_span(const char *statement, std::size_t *offset, std::size_t *length) noexcept
{
	try {
		std::optional<pgshift::TextSpan> span = pgshift::no_op_assignment(statement);
		if (!span)
			return false;
		*offset = span->offset;
		*length = span->length;
		return true;
	} catch (...) {
		return false;
	}
}

// The SET list: each up assignment's SQL (set_value_sql), worked out once per compiled entry.
const char *set_list_of(const DualWriteEntry *entry, Oid relation)
{
	StringInfoData set_list;
	initStringInfo(&set_list);
	for (int i = 0; i < entry->assignment_count; i++) {
		const Assignment &assignment = entry->assignments[i];
		if (assignment.direction != Direction::up)
			continue;
		const char *column = quote_identifier(get_attname(relation, assignment.compiled.target, false));
		appendStringInfo(&set_list, "%s%s = %s", set_list.len > 0 ? ", " : "", column, assignment.set_sql);
	}
	return set_list.data;
}

void check_set_sql(DualWriteEntry *entry, Relation rel)
{
	for (int i = 0; i < entry->assignment_count; i++) {
		Assignment &assignment = entry->assignments[i];
		if (assignment.direction != Direction::up || assignment.set_sql_checked)
			continue;
		const char *sql = set_value_sql(rel, assignment.compiled.set_value);
		assignment.set_sql = sql != nullptr ? MemoryContextStrdup(entry->memory, sql) : nullptr;
		assignment.set_sql_checked = true;
	}
}

}  // namespace

bool computing_batch(Oid relation, const char *statement, ComputingBatch *batch)
{
	std::size_t offset = 0, length = 0;
	if (!no_op_span(statement, &offset, &length))
		return false;
	// The lock stays until the transaction ends: the table cannot change between here and the batch.
	Relation rel = relation_open(relation, AccessShareLock);
	Trigger *trigger = dual_write_trigger_of(rel);
	if (trigger == nullptr) {
		relation_close(rel, NoLock);
		return false;
	}
	DualWriteEntry *entry = dual_write_entry(trigger, rel);
	compile_direction(entry, rel, Direction::up);
	check_set_sql(entry, rel);
	int **reads = static_cast<int **>(palloc0(sizeof(int *) * (entry->assignment_count + 1)));
	for (int i = 0; i < entry->assignment_count; i++)
		if (entry->assignments[i].direction == Direction::up && entry->assignments[i].set_sql != nullptr)
			reads[i] = columns_read(entry->assignments[i].compiled.set_value, RelationGetNumberOfAttributes(rel));
	bool computes = batch_sets(entry, reads);
	if (computes) {
		StringInfoData text;
		initStringInfo(&text);
		appendBinaryStringInfo(&text, statement, static_cast<int>(offset));
		appendStringInfoString(&text, set_list_of(entry, relation));
		appendStringInfoString(&text, statement + offset + length);
		batch->statement = text.data;
		batch->table_owner = rel->rd_rel->relowner;
	}
	relation_close(rel, NoLock);
	return computes;
}

int run_computing_batch(const ComputingBatch &batch, int nargs, Oid *types, Datum *values, const char *nulls)
{
	SPIPlanPtr plan = SPI_prepare(batch.statement, nargs, types);
	if (plan == nullptr)
		elog(ERROR, "pgshift: could not prepare the backfill batch: %s", SPI_result_code_string(SPI_result));
	ListCell *cell;
	foreach (cell, SPI_plan_get_plan_sources(plan)) {
		auto *source = static_cast<CachedPlanSource *>(lfirst(cell));
		ListCell *query;
		foreach (query, source->query_list)
			require_trusted_functions(static_cast<Node *>(lfirst(query)), batch.table_owner);
	}
	int result = SPI_execute_plan(plan, values, nulls, false, 1);
	SPI_freeplan(plan);
	return result;
}
