// pgshift.rebuild_sync(): the BEFORE INSERT OR UPDATE OR DELETE row trigger that keeps a table and
// its rebuild (rebuild_table, core/operations/rebuild_table.cpp) in step while both versions live:
// the old version writes the old table, the new version the new one, and each write is made on the
// other table too, in the same transaction, before the row itself is written.
//
// Arguments: the other table (qualified and quoted), the number K of its key columns, those K
// columns, then the columns to carry (every stored column; both tables have the same ones). A row
// is found in the other table by that table's own key, with the values of the row as it was (OLD).
// No ON CONFLICT anywhere: a row one table cannot hold (a key the other allows twice) fails the
// write, so the two never part silently.
//
// The other table's trigger sees the write this one makes and leaves it alone (writing_other_table),
// as it leaves the worker's copy batch alone (write_origin: the copy reads the old table, so it is
// in step by construction). Neither is a setting a client could change.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(pgshift_rebuild_sync);
}

#include "pg/write_origin.hpp"

namespace {

// Set while this backend's trigger writes the other table: that table's trigger then does nothing.
// Reset by PG_FINALLY on an error, so a savepoint rolled back to cannot leave it set.
bool writing_other_table = false;

enum SyncEvent { sync_insert = 0, sync_update = 1, sync_delete = 2, sync_events = 3 };

// A trigger's statements, prepared once per backend and trigger (a partition's clone of the
// trigger is a trigger of its own): bounded by the number of rebuild triggers.
struct SyncPlans {
	Oid trigger;        // hash key
	SPIPlanPtr plans[sync_events];
};

HTAB *sync_plans = nullptr;

struct SyncArguments {
	const char *target;
	int key_count;
	char **key;
	int column_count;
	char **columns;
};

SyncArguments sync_arguments(const Trigger *trigger)
{
	if (trigger->tgnargs < 3)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync() needs the other table, its key and the columns as arguments")));
	SyncArguments arguments;
	arguments.target = trigger->tgargs[0];
	arguments.key_count = pg_strtoint32(trigger->tgargs[1]);
	if (arguments.key_count < 1 || arguments.key_count + 2 > trigger->tgnargs)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync(): bad key column count %d", arguments.key_count)));
	arguments.key = trigger->tgargs + 2;
	arguments.columns = trigger->tgargs + 2 + arguments.key_count;
	arguments.column_count = trigger->tgnargs - 2 - arguments.key_count;
	return arguments;
}

// The attribute number of `name` in `descriptor`, looked up on each call: a partition's columns may
// lie in another order, and a column dropped and added again moves.
int column_number(TupleDesc descriptor, const char *name)
{
	for (int i = 0; i < descriptor->natts; i++) {
		Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
		if (!attribute->attisdropped && strcmp(NameStr(attribute->attname), name) == 0)
			return i + 1;
	}
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
	                errmsg("pgshift.rebuild_sync(): column \"%s\" is missing from the table being written", name),
	                errhint("A column of a table being rebuilt was dropped or renamed outside pgshift: roll the migration back.")));
	return 0;
}

// "a" = $1, "b" = $2 ... joined by `separator`, numbering from `first`.
void append_assignments(StringInfo sql, char **names, int count, int first, const char *separator)
{
	for (int i = 0; i < count; i++)
		appendStringInfo(sql, "%s%s = $%d", i == 0 ? "" : separator, quote_identifier(names[i]), first + i);
}

// The statement for `event`: its parameters are the carried columns of the new row ($1..$n, for
// INSERT and UPDATE) and then the key of the old row (for UPDATE and DELETE).
char *sync_sql(const SyncArguments &arguments, SyncEvent event)
{
	StringInfoData sql;
	initStringInfo(&sql);
	const int n = arguments.column_count;
	if (event == sync_insert) {
		appendStringInfo(&sql, "INSERT INTO %s (", arguments.target);
		for (int i = 0; i < n; i++)
			appendStringInfo(&sql, "%s%s", i == 0 ? "" : ", ", quote_identifier(arguments.columns[i]));
		appendStringInfoString(&sql, ") VALUES (");
		for (int i = 0; i < n; i++)
			appendStringInfo(&sql, "%s$%d", i == 0 ? "" : ", ", i + 1);
		appendStringInfoChar(&sql, ')');
	} else if (event == sync_update) {
		appendStringInfo(&sql, "UPDATE %s SET ", arguments.target);
		append_assignments(&sql, arguments.columns, n, 1, ", ");
		appendStringInfoString(&sql, " WHERE ");
		append_assignments(&sql, arguments.key, arguments.key_count, n + 1, " AND ");
	} else {
		appendStringInfo(&sql, "DELETE FROM %s WHERE ", arguments.target);
		append_assignments(&sql, arguments.key, arguments.key_count, 1, " AND ");
	}
	return sql.data;
}

// The parameter types of `event`'s statement, from the source table's columns (the same as the
// target's: the rebuild was made LIKE the table).
Oid *sync_types(const SyncArguments &arguments, SyncEvent event, TupleDesc descriptor, int *count)
{
	const bool values = event != sync_delete, key = event != sync_insert;
	*count = (values ? arguments.column_count : 0) + (key ? arguments.key_count : 0);
	Oid *types = static_cast<Oid *>(palloc(sizeof(Oid) * (*count > 0 ? *count : 1)));
	int next = 0;
	if (values)
		for (int i = 0; i < arguments.column_count; i++)
			types[next++] = TupleDescAttr(descriptor, column_number(descriptor, arguments.columns[i]) - 1)->atttypid;
	if (key)
		for (int i = 0; i < arguments.key_count; i++)
			types[next++] = TupleDescAttr(descriptor, column_number(descriptor, arguments.key[i]) - 1)->atttypid;
	return types;
}

SPIPlanPtr sync_plan(const Trigger *trigger, const SyncArguments &arguments, SyncEvent event, TupleDesc descriptor)
{
	if (sync_plans == nullptr) {
		HASHCTL control;
		memset(&control, 0, sizeof(control));
		control.keysize = sizeof(Oid);
		control.entrysize = sizeof(SyncPlans);
		sync_plans = hash_create("pgshift rebuild sync plans", 16, &control, HASH_ELEM | HASH_BLOBS);
	}
	bool found = false;
	auto *entry = static_cast<SyncPlans *>(hash_search(sync_plans, &trigger->tgoid, HASH_ENTER, &found));
	if (!found)
		memset(entry->plans, 0, sizeof(entry->plans));
	if (entry->plans[event] != nullptr)
		return entry->plans[event];
	int count = 0;
	Oid *types = sync_types(arguments, event, descriptor, &count);
	SPIPlanPtr plan = SPI_prepare(sync_sql(arguments, event), count, types);
	if (plan == nullptr)
		elog(ERROR, "pgshift.rebuild_sync(): SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pgshift.rebuild_sync(): SPI_keepplan failed");
	entry->plans[event] = plan;   // cached plans are revalidated by PostgreSQL when the tables change
	return plan;
}

// The parameters of `event`'s statement from `row` (new values) and `old_row` (the key).
void sync_values(const SyncArguments &arguments, SyncEvent event, TupleDesc descriptor, HeapTuple row,
                 HeapTuple old_row, Datum *values, char *nulls)
{
	int next = 0;
	bool is_null;
	if (event != sync_delete)
		for (int i = 0; i < arguments.column_count; i++, next++) {
			values[next] = heap_getattr(row, column_number(descriptor, arguments.columns[i]), descriptor, &is_null);
			nulls[next] = is_null ? 'n' : ' ';
		}
	if (event != sync_insert)
		for (int i = 0; i < arguments.key_count; i++, next++) {
			values[next] = heap_getattr(old_row, column_number(descriptor, arguments.key[i]), descriptor, &is_null);
			nulls[next] = is_null ? 'n' : ' ';
		}
}

void write_other_table(TriggerData *data, SyncEvent event)
{
	const SyncArguments arguments = sync_arguments(data->tg_trigger);
	TupleDesc descriptor = RelationGetDescr(data->tg_relation);
	HeapTuple row = event == sync_update ? data->tg_newtuple : data->tg_trigtuple;
	const int count = (event != sync_delete ? arguments.column_count : 0) + (event != sync_insert ? arguments.key_count : 0);
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * count));
	char *nulls = static_cast<char *>(palloc(count + 1));
	sync_values(arguments, event, descriptor, row, data->tg_trigtuple, values, nulls);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pgshift.rebuild_sync(): SPI_connect failed");
	SPIPlanPtr plan = sync_plan(data->tg_trigger, arguments, event, descriptor);
	writing_other_table = true;
	PG_TRY();
	{
		int result = SPI_execute_plan(plan, values, nulls, false, 0);
		if (result < 0)
			elog(ERROR, "pgshift.rebuild_sync(): writing %s failed: %s", arguments.target, SPI_result_code_string(result));
	}
	PG_FINALLY();
	{
		writing_other_table = false;
	}
	PG_END_TRY();
	SPI_finish();
}

}  // namespace

extern "C" Datum pgshift_rebuild_sync(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync() must be called as a trigger")));
	auto *data = reinterpret_cast<TriggerData *>(fcinfo->context);
	if (!TRIGGER_FIRED_BEFORE(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event) ||
	    TRIGGER_FIRED_BY_TRUNCATE(data->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync() must be a BEFORE INSERT OR UPDATE OR DELETE row trigger")));
	HeapTuple result = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple : data->tg_trigtuple;
	// The worker's batches leave the other table alone: the copy batch fills the new table from the
	// old one. (rebuild_table takes no other operation on its table, so no dual-write backfill of
	// the old table runs beside it.)
	if (writing_other_table || write_origin_of(data->tg_relation).backfill)
		return PointerGetDatum(result);
	const SyncEvent event = TRIGGER_FIRED_BY_INSERT(data->tg_event)   ? sync_insert
	                        : TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? sync_update
	                                                                   : sync_delete;
	write_other_table(data, event);
	return PointerGetDatum(result);
}
