// PostgreSQL regime: plain data only in these frames (see docs/design.md). The C++ containers are
// built and dropped between PostgreSQL calls that cannot raise an error (see batch_sets).
#include <string>
#include <vector>

#include "core/batch_assignments.hpp"
#include "core/sql_text.hpp"
#include "pg/backfill_assignments.hpp"
#include "pg/dual_write_entry.hpp"
#include "pg/write_origin.hpp"

extern "C" {
#include "access/relation.h"
#include "access/sysattr.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
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

// Whether a SET list can compute the up assignments of `entry`; plain data in, a bool out, and
// no PostgreSQL call that could raise an error while the C++ vectors live.
bool batch_sets(const DualWriteEntry *entry, int *const *reads) noexcept
{
	try {
		std::vector<pgshift::BatchAssignment> assignments;
		for (int i = 0; i < entry->assignment_count; i++) {
			const Assignment &assignment = entry->assignments[i];
			if (assignment.direction != Direction::up)
				continue;
			pgshift::BatchAssignment batch{assignment.compiled.target, {}, assignment.compiled.analyzed == nullptr};
			for (const int *column = reads[i]; column != nullptr && *column != 0; column++)
				batch.reads.insert(*column);
			assignments.push_back(std::move(batch));
		}
		return pgshift::batch_can_compute(assignments);
	} catch (...) {
		return false;   // (out of memory) the trigger computes them, as before
	}
}

// `statement` with the SET list in place of its no-op assignment, or NULL.
const char *with_set_list(const char *statement, const char *set_list) noexcept
{
	try {
		std::optional<std::string> replaced = pgshift::batch_with_assignments(statement, set_list);
		if (!replaced)
			return nullptr;
		// (palloc raises no C++ exception; on out of memory it raises ERROR, past no destructor
		// that matters: the strings' memory is lost to the error, which aborts the batch.)
		return pstrdup(replaced->c_str());
	} catch (...) {
		return nullptr;
	}
}

}  // namespace

const char *computing_batch_statement(Oid relation, const char *statement)
{
	Relation rel = relation_open(relation, AccessShareLock);
	Trigger *trigger = dual_write_trigger_of(rel);
	if (trigger == nullptr) {
		relation_close(rel, AccessShareLock);
		return nullptr;
	}
	DualWriteEntry *entry = dual_write_entry(trigger, rel);
	compile_direction(entry, rel, Direction::up);

	int **reads = static_cast<int **>(palloc0(sizeof(int *) * (entry->assignment_count + 1)));
	for (int i = 0; i < entry->assignment_count; i++)
		if (entry->assignments[i].direction == Direction::up && entry->assignments[i].compiled.analyzed != nullptr)
			reads[i] = columns_read(entry->assignments[i].compiled.analyzed, RelationGetNumberOfAttributes(rel));
	if (!batch_sets(entry, reads)) {
		relation_close(rel, AccessShareLock);
		return nullptr;
	}

	// Each expression as SQL over the batch's alias for the table, every name outside pg_catalog
	// qualified (the batch runs with search_path = pg_catalog, pg_temp), implicit casts spelled
	// out, so that it parses back to what the trigger would have evaluated.
	int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	List *context = deparse_context_for("_pgshift_t", relation);
	StringInfoData set_list;
	initStringInfo(&set_list);
	for (int i = 0; i < entry->assignment_count; i++) {
		const Assignment &assignment = entry->assignments[i];
		if (assignment.direction != Direction::up)
			continue;
		const char *column = quote_identifier(get_attname(relation, assignment.compiled.target, false));
		appendStringInfo(&set_list, "%s%s = %s", set_list.len > 0 ? ", " : "", column,
		                 deparse_expression(assignment.compiled.analyzed, context, true, true));
	}
	AtEOXact_GUC(true, nest_level);
	relation_close(rel, AccessShareLock);
	return with_set_list(statement, set_list.data);
}
