// pgshift.rebuild_sync(): the AFTER INSERT OR UPDATE OR DELETE row trigger that keeps a table and
// its rebuild (rebuild_table, core/operations/rebuild_table.cpp) in step while both versions live:
// the old version writes the old table, the new version the new one, and each row written is
// written on the other table too, in the same transaction.
//
// AFTER, not BEFORE: it fires only for rows actually written (an INSERT ... ON CONFLICT DO NOTHING
// that conflicts writes nothing), and a row an UPDATE moves to another partition arrives as the
// DELETE and the INSERT PostgreSQL makes of it.
//
// Arguments: the other table (qualified and quoted); "insert-missing" or "ignore-missing" (what an
// UPDATE that finds no row there does: the old table's trigger inserts the row, because a row the
// copy has not reached may have been given a key behind the copy's cursor); the number K of the
// other table's key columns, those K columns; then the columns to carry (every stored column; both
// tables have the same ones). A row is found in the other table by that table's own key, with the
// values of the row as it was. No ON CONFLICT: a row one table cannot hold fails the write.
//
// The write runs as the tables' owner (a restricted operation, search_path pinned): the client was
// allowed the write it made, and the mirror of it must not fail on a column privilege the client
// needs no more. So the function checks first that it is pgshift's trigger on a table and its
// rebuild (pinned_pair): anyone may name pgshift.rebuild_sync() in a trigger of their own, and it
// must not then write some other table as its owner. It reads the latest
// committed state, as foreign-key checks do, so a REPEATABLE READ writer cannot miss a row the copy
// committed after its snapshot (its own snapshot is the crosscheck: a conflict is a serialization
// failure). Operators are named with their schema, so a client's search_path cannot change them.
//
// Whether it fires at all is the WHEN condition pgshift._rebuild_sync_wanted(): not for the write
// this trigger makes on the other table (writing_other_table), nor for the worker's copy batch (it
// fills the rebuild from the table; write_origin). Neither is a setting a client could change.
//
// As a BEFORE TRUNCATE statement trigger it refuses TRUNCATE, which fires no row trigger.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(pgshift_rebuild_sync);
PG_FUNCTION_INFO_V1(pgshift_rebuild_sync_wanted);
}

#include "pg/write_origin.hpp"

namespace {

// Set while this backend's trigger writes the other table. Reset by PG_FINALLY on an error, so a
// savepoint rolled back to cannot leave it set.
bool writing_other_table = false;

enum SyncEvent { sync_insert = 0, sync_update = 1, sync_delete = 2, sync_events = 3 };

// A trigger's statements, prepared once per backend and trigger (a partition's clone of the
// trigger is a trigger of its own). Any relation cache invalidation (a column's type changed, a
// trigger dropped) throws them all away, so they never outlive what they were planned for and the
// table stays as small as the triggers that fire.
struct SyncPlans {
	Oid trigger;   // hash key
	SPIPlanPtr plans[sync_events];
	Oid owner;     // the tables' owner, once pinned_pair has checked the pair (InvalidOid: not yet)
	// Where the carried columns and the other table's key lie in this trigger's table (a partition's
	// columns may lie in another order); found on first use, thrown away with the plans.
	AttrNumber *column_at;
	AttrNumber *key_at;
};

HTAB *sync_plans = nullptr;
bool plans_stale = false;
bool invalidation_registered = false;

void mark_plans_stale(Datum, Oid)
{
	plans_stale = true;
}

void forget_stale_plans(void)
{
	if (!invalidation_registered) {
		CacheRegisterRelcacheCallback(mark_plans_stale, (Datum) 0);
		invalidation_registered = true;
	}
	if (!plans_stale || sync_plans == nullptr)
		return;
	HASH_SEQ_STATUS scan;
	hash_seq_init(&scan, sync_plans);
	for (auto *entry = static_cast<SyncPlans *>(hash_seq_search(&scan)); entry != nullptr;
	     entry = static_cast<SyncPlans *>(hash_seq_search(&scan)))
	{
		for (SPIPlanPtr &plan : entry->plans)
			if (plan != nullptr)
				SPI_freeplan(plan);
		if (entry->column_at != nullptr)
			pfree(entry->column_at);
		if (entry->key_at != nullptr)
			pfree(entry->key_at);
	}
	hash_destroy(sync_plans);
	sync_plans = nullptr;
	plans_stale = false;
}

struct SyncArguments {
	const char *target;
	bool insert_missing;
	int key_count;
	char **key;
	int column_count;
	char **columns;
};

SyncArguments sync_arguments(const Trigger *trigger)
{
	if (trigger->tgnargs < 5)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync() needs the other table, what to do with a missing row, its key "
		                       "and the columns as arguments")));
	SyncArguments arguments;
	arguments.target = trigger->tgargs[0];
	arguments.insert_missing = strcmp(trigger->tgargs[1], "insert-missing") == 0;
	arguments.key_count = pg_strtoint32(trigger->tgargs[2]);
	if (arguments.key_count < 1 || arguments.key_count + 3 >= trigger->tgnargs)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync(): bad key column count %d", arguments.key_count)));
	arguments.key = trigger->tgargs + 3;
	arguments.columns = trigger->tgargs + 3 + arguments.key_count;
	arguments.column_count = trigger->tgnargs - 3 - arguments.key_count;
	return arguments;
}

// The attribute number of `name` in `descriptor` (a column dropped and added again moves: callers
// keep it only until the next relcache invalidation).
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

Oid column_type(TupleDesc descriptor, const char *name)
{
	return TupleDescAttr(descriptor, column_number(descriptor, name) - 1)->atttypid;
}

// OPERATOR(schema.=) of `type`'s default equality, as foreign-key checks write it.
void append_equality(StringInfo sql, Oid type)
{
	TypeCacheEntry *entry = lookup_type_cache(type, TYPECACHE_EQ_OPR);
	if (!OidIsValid(entry->eq_opr))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
		                errmsg("pgshift.rebuild_sync(): type %s has no equality operator", format_type_be(type))));
	HeapTuple tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(entry->eq_opr));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", entry->eq_opr);
	auto *form = reinterpret_cast<Form_pg_operator>(GETSTRUCT(tuple));
	appendStringInfo(sql, " OPERATOR(%s.%s) ", quote_identifier(get_namespace_name(form->oprnamespace)),
	                 NameStr(form->oprname));
	ReleaseSysCache(tuple);
}

// "a" OPERATOR(pg_catalog.=) $n AND ... for the key, numbering from `first`.
void append_key_condition(StringInfo sql, const SyncArguments &arguments, TupleDesc descriptor, int first)
{
	for (int i = 0; i < arguments.key_count; i++) {
		appendStringInfo(sql, "%s%s", i == 0 ? "" : " AND ", quote_identifier(arguments.key[i]));
		append_equality(sql, column_type(descriptor, arguments.key[i]));
		appendStringInfo(sql, "$%d", first + i);
	}
}

// The statement for `event`: its parameters are the carried columns of the new row ($1..$n, for
// INSERT and UPDATE) and then the key of the old row (for UPDATE and DELETE).
char *sync_sql(const SyncArguments &arguments, SyncEvent event, TupleDesc descriptor)
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
		for (int i = 0; i < n; i++)
			appendStringInfo(&sql, "%s%s = $%d", i == 0 ? "" : ", ", quote_identifier(arguments.columns[i]), i + 1);
		appendStringInfoString(&sql, " WHERE ");
		append_key_condition(&sql, arguments, descriptor, n + 1);
	} else {
		appendStringInfo(&sql, "DELETE FROM %s WHERE ", arguments.target);
		append_key_condition(&sql, arguments, descriptor, 1);
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
			types[next++] = column_type(descriptor, arguments.columns[i]);
	if (key)
		for (int i = 0; i < arguments.key_count; i++)
			types[next++] = column_type(descriptor, arguments.key[i]);
	return types;
}

// The trigger's entry, after throwing stale ones away (only here, before any plan of this call is
// taken: a plan in use further up the stack is never freed under it).
SyncPlans *sync_entry(const Trigger *trigger)
{
	forget_stale_plans();
	if (sync_plans == nullptr) {
		HASHCTL control;
		memset(&control, 0, sizeof(control));
		control.keysize = sizeof(Oid);
		control.entrysize = sizeof(SyncPlans);
		sync_plans = hash_create("pgshift rebuild sync plans", 16, &control, HASH_ELEM | HASH_BLOBS);
	}
	bool found = false;
	auto *entry = static_cast<SyncPlans *>(hash_search(sync_plans, &trigger->tgoid, HASH_ENTER, &found));
	if (!found) {
		memset(entry->plans, 0, sizeof(entry->plans));
		entry->owner = InvalidOid;
		entry->column_at = nullptr;
		entry->key_at = nullptr;
	}
	return entry;
}

SPIPlanPtr sync_plan(SyncPlans *entry, const SyncArguments &arguments, SyncEvent event, TupleDesc descriptor)
{
	if (entry->plans[event] != nullptr)
		return entry->plans[event];
	int count = 0;
	Oid *types = sync_types(arguments, event, descriptor, &count);
	SPIPlanPtr plan = SPI_prepare(sync_sql(arguments, event, descriptor), count, types);
	if (plan == nullptr)
		elog(ERROR, "pgshift.rebuild_sync(): SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pgshift.rebuild_sync(): SPI_keepplan failed");
	entry->plans[event] = plan;
	return plan;
}

AttrNumber *column_numbers(char **names, int count, TupleDesc descriptor)
{
	auto *numbers = static_cast<AttrNumber *>(MemoryContextAlloc(TopMemoryContext, sizeof(AttrNumber) * (count + 1)));
	for (int i = 0; i < count; i++)
		numbers[i] = static_cast<AttrNumber>(column_number(descriptor, names[i]));
	return numbers;
}

// The parameters of `event`'s statement from `row` (new values) and `old_row` (the key).
void sync_values(SyncPlans *entry, const SyncArguments &arguments, SyncEvent event, TupleDesc descriptor, HeapTuple row,
                 HeapTuple old_row, Datum *values, char *nulls)
{
	if (entry->column_at == nullptr || entry->key_at == nullptr) {
		AttrNumber *columns = column_numbers(arguments.columns, arguments.column_count, descriptor);
		AttrNumber *key = column_numbers(arguments.key, arguments.key_count, descriptor);
		entry->column_at = columns;   // both at once: an error above leaves neither half set
		entry->key_at = key;
	}
	int next = 0;
	bool is_null;
	if (event != sync_delete)
		for (int i = 0; i < arguments.column_count; i++, next++) {
			values[next] = heap_getattr(row, entry->column_at[i], descriptor, &is_null);
			nulls[next] = is_null ? 'n' : ' ';
		}
	if (event != sync_insert)
		for (int i = 0; i < arguments.key_count; i++, next++) {
			values[next] = heap_getattr(old_row, entry->key_at[i], descriptor, &is_null);
			nulls[next] = is_null ? 'n' : ' ';
		}
}

[[noreturn]] void refuse_trigger(const char *why)
{
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
	                errmsg("pgshift.rebuild_sync() runs only as pgshift's trigger on a table being rebuilt and its "
	                       "rebuild: %s", why)));
}

// The owner both tables share, once it is sure that `trigger` on `relation` is pgshift's own: named
// ~pgshift_rebuild_sync, on a table (or a partition of one) T whose target is its rebuild
// _pgshift_rebuild_T in the same schema, or the other way round, both owned by the same role.
Oid pinned_pair(const Trigger *trigger, Relation relation, const char *target)
{
	if (strcmp(trigger->tgname, "~pgshift_rebuild_sync") != 0)
		refuse_trigger("the trigger has another name");
	Oid source = RelationGetRelid(relation);
	if (relation->rd_rel->relispartition) {
		List *ancestors = get_partition_ancestors(source);
		source = llast_oid(ancestors);   // the partitioned table at the top
		list_free(ancestors);
	}
	Oid other = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(target)));
	char *source_name = get_rel_name(source), *other_name = get_rel_name(other);
	if (source_name == nullptr || other_name == nullptr || get_rel_namespace(source) != get_rel_namespace(other))
		refuse_trigger("the two tables are not in one schema");
	const char *prefix = "_pgshift_rebuild_";
	const size_t length = strlen(prefix);
	const bool paired = (strncmp(other_name, prefix, length) == 0 && strcmp(other_name + length, source_name) == 0) ||
	                    (strncmp(source_name, prefix, length) == 0 && strcmp(source_name + length, other_name) == 0);
	if (!paired)
		refuse_trigger("the other table is not the table's rebuild");
	HeapTuple first = SearchSysCache1(RELOID, ObjectIdGetDatum(source));
	HeapTuple second = SearchSysCache1(RELOID, ObjectIdGetDatum(other));
	if (!HeapTupleIsValid(first) || !HeapTupleIsValid(second))
		elog(ERROR, "cache lookup failed for relation %u or %u", source, other);
	const Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(first))->relowner;
	const bool same_owner = owner == reinterpret_cast<Form_pg_class>(GETSTRUCT(second))->relowner;
	ReleaseSysCache(first);
	ReleaseSysCache(second);
	if (!same_owner)
		refuse_trigger("the two tables have different owners");
	return owner;
}

// Runs `plan` as `owner`, reading the latest committed rows; returns the rows it wrote.
uint64 run_sync(SPIPlanPtr plan, Datum *values, char *nulls, Oid owner, const char *target)
{
	Oid user;
	int security;
	GetUserIdAndSecContext(&user, &security);
	uint64 written = 0;
	writing_other_table = true;
	SetUserIdAndSecContext(owner, security | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		int result = IsolationUsesXactSnapshot()
		                 ? SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(), GetTransactionSnapshot(), false,
		                                        false, 0)
		                 : SPI_execute_plan(plan, values, nulls, false, 0);
		if (result < 0)
			elog(ERROR, "pgshift.rebuild_sync(): writing %s failed: %s", target, SPI_result_code_string(result));
		written = SPI_processed;
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(user, security);
		writing_other_table = false;
	}
	PG_END_TRY();
	return written;
}

void write_other_table(TriggerData *data, SyncEvent event)
{
	const SyncArguments arguments = sync_arguments(data->tg_trigger);
	TupleDesc descriptor = RelationGetDescr(data->tg_relation);
	HeapTuple row = event == sync_update ? data->tg_newtuple : data->tg_trigtuple;
	const int most = arguments.column_count + arguments.key_count;
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * most));
	char *nulls = static_cast<char *>(palloc(most + 1));
	SyncPlans *entry = sync_entry(data->tg_trigger);
	if (!OidIsValid(entry->owner))
		entry->owner = pinned_pair(data->tg_trigger, data->tg_relation, arguments.target);
	const Oid owner = entry->owner;
	sync_values(entry, arguments, event, descriptor, row, data->tg_trigtuple, values, nulls);
	// Planned and run under a pinned search_path: as the owner, nothing of the client's choosing
	// (a function a CHECK constraint calls by an unqualified name) may be found. The settings go
	// back when it returns; on an error, the (sub)transaction's abort puts them back.
	const int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
	                         false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pgshift.rebuild_sync(): SPI_connect failed");
	uint64 written = run_sync(sync_plan(entry, arguments, event, descriptor), values, nulls, owner,
	                          arguments.target);
	if (event == sync_update && written == 0 && arguments.insert_missing) {
		// Not copied yet: the row goes in now, as it is (the copy's ON CONFLICT DO NOTHING then
		// leaves it), since its key may have moved behind the copy's cursor or past its end.
		sync_values(entry, arguments, sync_insert, descriptor, row, data->tg_trigtuple, values, nulls);
		run_sync(sync_plan(entry, arguments, sync_insert, descriptor), values, nulls, owner, arguments.target);
	}
	SPI_finish();
	AtEOXact_GUC(false, nest_level);
}

}  // namespace

extern "C" Datum pgshift_rebuild_sync(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync() must be called as a trigger")));
	auto *data = reinterpret_cast<TriggerData *>(fcinfo->context);
	if (TRIGGER_FIRED_BY_TRUNCATE(data->tg_event))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("table \"%s\" is being rebuilt by a pgshift migration: TRUNCATE would empty one of its "
		                       "two tables only",
		                       RelationGetRelationName(data->tg_relation)),
		                errhint("Delete the rows instead, or complete or roll back the migration first.")));
	if (!TRIGGER_FIRED_AFTER(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.rebuild_sync() must be an AFTER INSERT OR UPDATE OR DELETE row trigger "
		                       "or a BEFORE TRUNCATE statement trigger")));
	if (!writing_other_table) {
		const SyncEvent event = TRIGGER_FIRED_BY_INSERT(data->tg_event)   ? sync_insert
		                        : TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? sync_update
		                                                                   : sync_delete;
		write_other_table(data, event);
	}
	return PointerGetDatum(nullptr);
}

// pgshift._rebuild_sync_wanted(): the WHEN condition of the row triggers, checked as each row is
// written, so that neither the mirror write nor the copy queues an event at all.
extern "C" Datum pgshift_rebuild_sync_wanted(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!writing_other_table && !backfill_statement_running());
}
