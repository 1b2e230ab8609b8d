// pgshift.dual_write(): the compiled BEFORE INSERT OR UPDATE row trigger that keeps the old and the
// new version of a table in step while a migration is active. Its configuration and the compiled
// expressions are in dual_write_entry.hpp.
//
// A write from the new version runs the "down" assignments (filling old columns), any other write
// the "up" ones (filling new columns), in the order listed, each seeing the previous results.
// Which version a write is comes from what it writes through (write_origin.hpp):
//   * the worker's backfill batch: up;
//   * a view of the new version schema: down; a view of the previous one: up;
//   * the table itself (or a view of the user's own): up, unless an UPDATE sets only pgshift's
//     new columns (see direction_of_table_write). Which view a client's unqualified names reach is
//     its search_path's business; once resolved, the statement's target decides.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/dual_write_entry.hpp"
#include "pg/dual_write_trigger.hpp"
#include "pg/write_origin.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "access/sysattr.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"

PG_FUNCTION_INFO_V1(pgshift_dual_write);
PG_FUNCTION_INFO_V1(pgshift_check_dual_write);
}

namespace {

// Whether the UPDATE's SET list names a column that the assignments of `direction` write; with
// `changed`, only a column whose value the UPDATE changes (`SET c = c`, the backfill's, does not).
bool sets_a_target_of(const DualWriteEntry *entry, const TriggerData *data, Direction direction, bool changed)
{
	TupleDesc descriptor = RelationGetDescr(data->tg_relation);
	for (int i = 0; i < entry->assignment_count; i++) {
		const Assignment &assignment = entry->assignments[i];
		AttrNumber column = assignment.target_attnum;
		if (assignment.direction != direction || column == InvalidAttrNumber ||
		    !bms_is_member(column - FirstLowInvalidHeapAttributeNumber, data->tg_updatedcols))
			continue;
		if (!changed)
			return true;
		bool old_null, new_null;
		Datum old_value = heap_getattr(data->tg_trigtuple, column, descriptor, &old_null);
		Datum new_value = heap_getattr(data->tg_newtuple, column, descriptor, &new_null);
		Form_pg_attribute attribute = TupleDescAttr(descriptor, column - 1);
		if (old_null != new_null ||
		    (!old_null && !datumIsEqual(old_value, new_value, attribute->attbyval, attribute->attlen)))
			return true;
	}
	return false;
}

// A write to the table itself writes the old version's columns (clients know no other), so `up`
// keeps them and fills the new ones, whatever search_path says: `down` would replace what the
// client wrote with what the new columns held (and search_path can change under a statement: a
// version that opens while it runs). Only an UPDATE that changes pgshift's new columns and sets
// none of the old ones they pair with is the new version's.
Direction direction_of_table_write(const DualWriteEntry *entry, const TriggerData *data)
{
	if (!TRIGGER_FIRED_BY_UPDATE(data->tg_event) || data->tg_updatedcols == nullptr)
		return Direction::up;
	if (sets_a_target_of(entry, data, Direction::up, true) && !sets_a_target_of(entry, data, Direction::down, false))
		return Direction::down;
	return Direction::up;
}

Direction write_direction(DualWriteEntry *entry, const TriggerData *data)
{
	WriteOrigin origin = write_origin_of(data->tg_relation);
	if (origin.backfill)
		return Direction::up;
	refresh_version_namespaces(entry);
	if (OidIsValid(origin.view_namespace)) {
		if (origin.view_namespace == entry->new_version_oid)
			return Direction::down;
		if (origin.view_namespace == entry->old_version_oid)
			return Direction::up;
	}
	return direction_of_table_write(entry, data);
}

// The row with the direction's assignments applied. The first one reads the row from the slot
// PostgreSQL hands the trigger (`row`, holding `tuple`): its values are deformed once, there, and
// the new tuple is formed from them with the computed value in place. Each later one reads the
// row as the assignments before it left it, from the entry's own slot.
HeapTuple apply_assignments(DualWriteEntry *entry, Relation rel, TupleTableSlot *row, HeapTuple tuple,
                            Direction direction)
{
	TupleDesc descriptor = RelationGetDescr(rel);
	bool first = true;
	for (int i = 0; i < entry->assignment_count; i++) {
		const Assignment &assignment = entry->assignments[i];
		if (assignment.direction != direction)
			continue;
		const CompiledColumnExpression &compiled = assignment.compiled;
		// (The entry's arrays fit the row: a table whose columns changed has a fresh entry. A heap
		// slot has the system columns an expression may read; a virtual one, as logical replication's
		// apply fills, does not.)
		first = first && row != nullptr && (TTS_IS_HEAPTUPLE(row) || TTS_IS_BUFFERTUPLE(row)) &&
		        descriptor->natts <= entry->value_capacity;
		TupleTableSlot *input = row;
		if (!first) {
			ExecStoreHeapTuple(tuple, entry->slot, false);
			input = entry->slot;
		}
		bool isnull = false;
		Datum value = evaluate_column_expression(compiled, input, entry->econtext, &isnull);
		int column = compiled.target;
		// Both copy the value into the new tuple (in the trigger's memory context), so the
		// expression's per-row memory can be reset right after.
		if (first) {
			slot_getallattrs(row);
			memcpy(entry->values, row->tts_values, sizeof(Datum) * descriptor->natts);
			memcpy(entry->nulls, row->tts_isnull, sizeof(bool) * descriptor->natts);
			entry->values[column - 1] = value;
			entry->nulls[column - 1] = isnull;
			HeapTuple formed = heap_form_tuple(descriptor, entry->values, entry->nulls);
			// What identifies the row carries over, as heap_modify_tuple carries it.
			formed->t_data->t_ctid = tuple->t_data->t_ctid;
			formed->t_self = tuple->t_self;
			formed->t_tableOid = tuple->t_tableOid;
			tuple = formed;
		} else {
			tuple = heap_modify_tuple_by_cols(tuple, descriptor, 1, &column, &value, &isnull);
			ExecClearTuple(entry->slot);
		}
		ResetExprContext(entry->econtext);
		first = false;
	}
	return tuple;
}

// `down` runs only for new-version writes. An expression naming a column the new version does not
// have is reported but accepted, as pgroll accepts it (its example 35 has one): such writes fail.
// The attempt runs in a subtransaction, so that going on after its error is safe.
void check_down_direction(DualWriteEntry *entry, Relation rel)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	BeginInternalSubTransaction(nullptr);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		compile_direction(entry, rel, Direction::down);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		ErrorData *error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		if (error->sqlerrcode != ERRCODE_UNDEFINED_COLUMN)
			ReThrowError(error);
		ereport(WARNING, (errcode(error->sqlerrcode), errmsg("%s", error->message),
		                  errdetail("Writes through the new version of table \"%s\" will fail until this is fixed.",
		                            RelationGetRelationName(rel))));
	}
	PG_END_TRY();
}

// An expression whose value depends on session settings computes one value in the backfill and
// maybe another in a writer's session: say so at start.
void warn_of_settings_dependence(const DualWriteEntry *entry, Relation rel)
{
	for (int i = 0; i < entry->assignment_count; i++) {
		const Assignment &assignment = entry->assignments[i];
		int index = assignment.direction == Direction::up ? 0 : 1;
		if (!entry->compiled[index] || !assignment.compiled.depends_on_settings)
			continue;
		ereport(WARNING,
		        (errmsg("%s expression \"%s\" of table \"%s\" calls a stable function: its value may depend on session "
		                "settings", index == 0 ? "up" : "down", assignment.expression, RelationGetRelationName(rel)),
		         index == 0 ? errdetail("The backfill computes it with pgshift's worker settings (DateStyle ISO, MDY; "
		                                "TimeZone UTC; IntervalStyle postgres; extra_float_digits 3), each write with its "
		                                "own session's.")
		                    : errdetail("Each write through the new version computes it with its own session's settings."),
		         errhint("Write it so that it does not depend on them (to_date(x, 'DD/MM/YYYY'), AT TIME ZONE 'UTC', ...).")));
	}
}

}  // namespace

// Registered from _PG_init: compiled triggers follow their table's definition, and a row's
// version comes from the statement that writes it.
void register_dual_write(void)
{
	register_dual_write_cache();
	register_write_origin_hooks();
}

extern "C" Datum pgshift_dual_write(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.dual_write() must be called as a trigger")));
	auto *data = reinterpret_cast<TriggerData *>(fcinfo->context);
	if (!TRIGGER_FIRED_BEFORE(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event) ||
	    TRIGGER_FIRED_BY_DELETE(data->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(data->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.dual_write() must be a BEFORE INSERT OR UPDATE row trigger")));

	HeapTuple tuple = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple : data->tg_trigtuple;
	DualWriteEntry *entry = dual_write_entry(data->tg_trigger, data->tg_relation);
	Direction direction = write_direction(entry, data);
	compile_direction(entry, data->tg_relation, direction);
	TupleTableSlot *row = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newslot : data->tg_trigslot;
	return PointerGetDatum(apply_assignments(entry, data->tg_relation, row, tuple, direction));
}

// pgshift._check_dual_write(table regclass): compiles the table's dual-write trigger once, so that an
// up or down expression that does not parse, names a missing column or has the wrong type fails
// start instead of the first write.
extern "C" Datum pgshift_check_dual_write(PG_FUNCTION_ARGS)
{
	Relation rel = relation_open(PG_GETARG_OID(0), AccessShareLock);
	TriggerDesc *triggers = rel->trigdesc;
	bool found = false;
	for (int i = 0; triggers != nullptr && i < triggers->numtriggers; i++) {
		Trigger *trigger = &triggers->triggers[i];
		if (!is_dual_write_trigger(trigger->tgname))
			continue;
		DualWriteEntry *entry = new_dual_write_entry(trigger, rel, CurrentMemoryContext);
		compile_direction(entry, rel, Direction::up);
		check_down_direction(entry, rel);
		warn_of_settings_dependence(entry, rel);
		free_dual_write_entry(entry);
		found = true;
	}
	relation_close(rel, AccessShareLock);
	PG_RETURN_BOOL(found);
}
