// pgshift.dual_write(): the compiled BEFORE INSERT OR UPDATE row trigger that keeps the old and the
// new version of a table in step while a migration is active.
//
// The trigger's one argument is its configuration, as JSON:
//   {"schema": "public", "new_version": "public_02_x", "old_version": "public_01_y" | null,
//    "assignments": [{"direction": "up"|"down", "target": "<physical column>",
//                     "expression": "<SQL>", "columns": {"<virtual>": "<physical>", ...}}]}
// A write from the new version runs the "down" assignments (filling old columns), any other write
// runs the "up" ones (filling new columns), in the order listed, each seeing the previous results.
//
// Which version a write comes from is decided by the first schema of search_path that is the managed
// schema or one of its live version schemas, not by comparing the whole search_path (pgroll's
// flaw): `SET search_path TO public_02_x, public` counts as the new version. The decision is
// cached per search_path value, and the expressions are compiled once per backend and trigger,
// so a row costs one string comparison plus the expressions' own evaluation.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/column_expression.hpp"
#include "pg/dual_write_trigger.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "utils/lsyscache.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(pgshift_dual_write);
PG_FUNCTION_INFO_V1(pgshift_check_dual_write);
}

namespace {

enum class Direction { up, down };

struct Assignment {
	Direction direction;
	const char *target;
	const char *expression;
	JsonbContainer *columns;               // points into the entry's copy of the configuration
	CompiledColumnExpression compiled;     // state is NULL until its direction is first used
};

// Everything one trigger needs, compiled for this backend; lives in its own memory context.
struct DualWrite {
	Oid trigger_oid;
	Oid relation_oid;
	bool stale;                 // set by relcache invalidation: recompile before the next row
	MemoryContext memory;
	char *new_version;
	char *old_version;          // may be NULL (no previous version schema)
	char *schema;
	int assignment_count;
	Assignment *assignments;
	bool compiled[2];           // per direction: compiled on first use, so a broken `down` does not
	                            // stop old-version writes (as in pgroll, where it fails at run time)
	Relation compiled_for;      // only valid during compile_direction
	TupleTableSlot *slot;
	ExprContext *econtext;
	char *cached_search_path;   // the search_path the cached decision was made for
	bool cached_from_new_version;
	DualWrite *next;
};

DualWrite *compiled_triggers = nullptr;   // a short list: one entry per table with an active migration

const char *json_string(JsonbContainer *object, const char *key)
{
	JsonbValue value;
	if (getKeyJsonValueFromContainer(object, key, strlen(key), &value) == nullptr || value.type != jbvString)
		return nullptr;
	return pnstrdup(value.val.string.val, value.val.string.len);
}

JsonbContainer *json_container(JsonbContainer *object, const char *key)
{
	JsonbValue value;
	if (getKeyJsonValueFromContainer(object, key, strlen(key), &value) == nullptr || value.type != jbvBinary)
		return nullptr;
	return value.val.binary.data;
}

[[noreturn]] void bad_configuration(const char *problem)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("pgshift.dual_write: invalid trigger configuration: %s", problem)));
	pg_unreachable();
}

void read_assignments(DualWrite *entry, JsonbContainer *list)
{
	entry->assignment_count = static_cast<int>(JsonContainerSize(list));
	entry->assignments = static_cast<Assignment *>(palloc0(sizeof(Assignment) * (entry->assignment_count + 1)));
	for (int i = 0; i < entry->assignment_count; i++) {
		JsonbValue *item = getIthJsonbValueFromContainer(list, i);
		if (item == nullptr || item->type != jbvBinary)
			bad_configuration("assignments must be objects");
		JsonbContainer *assignment = item->val.binary.data;
		const char *direction = json_string(assignment, "direction");
		const char *target = json_string(assignment, "target");
		const char *expression = json_string(assignment, "expression");
		if (direction == nullptr || target == nullptr || expression == nullptr)
			bad_configuration("an assignment needs direction, target and expression");
		entry->assignments[i].direction = strcmp(direction, "up") == 0 ? Direction::up : Direction::down;
		entry->assignments[i].target = target;
		entry->assignments[i].expression = expression;
		entry->assignments[i].columns = json_container(assignment, "columns");
	}
}

// Compiles the assignments of one direction into the entry's memory.
void compile_direction(DualWrite *entry, Relation rel, Direction direction)
{
	int index = direction == Direction::up ? 0 : 1;
	if (entry->compiled[index])
		return;
	MemoryContext old = MemoryContextSwitchTo(entry->memory);
	for (int i = 0; i < entry->assignment_count; i++) {
		Assignment &assignment = entry->assignments[i];
		if (assignment.direction != direction)
			continue;
		const char *what = psprintf("%s expression \"%s\" for column \"%s\"", index == 0 ? "up" : "down",
		                            assignment.expression, assignment.target);
		assignment.compiled = compile_column_expression(rel, assignment.expression, assignment.columns,
		                                                assignment.target, what, entry->schema);
	}
	MemoryContextSwitchTo(old);
	entry->compiled[index] = true;
}

DualWrite *compile(Trigger *trigger, Relation rel)
{
	if (trigger->tgnargs != 1)
		bad_configuration("expected one argument");
	// Built under the current context, so a failed compilation is freed with it; kept only on success.
	MemoryContext memory = AllocSetContextCreate(CurrentMemoryContext, "pgshift dual_write", ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(memory);
	DualWrite *entry = static_cast<DualWrite *>(palloc0(sizeof(DualWrite)));
	entry->trigger_oid = trigger->tgoid;
	entry->relation_oid = RelationGetRelid(rel);
	entry->memory = memory;

	Jsonb *config = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(trigger->tgargs[0])));
	entry->schema = const_cast<char *>(json_string(&config->root, "schema"));
	entry->new_version = const_cast<char *>(json_string(&config->root, "new_version"));
	entry->old_version = const_cast<char *>(json_string(&config->root, "old_version"));
	JsonbContainer *assignments = json_container(&config->root, "assignments");
	if (entry->schema == nullptr || entry->new_version == nullptr || assignments == nullptr)
		bad_configuration("schema, new_version and assignments are required");
	read_assignments(entry, assignments);
	// A private copy of the row type: the relcache's is reference-counted per transaction, and the
	// slot outlives transactions.
	entry->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)), &TTSOpsHeapTuple);
	entry->econtext = CreateStandaloneExprContext();
	MemoryContextSwitchTo(old);
	MemoryContextSetParent(memory, CacheMemoryContext);
	return entry;
}

void forget(DualWrite *entry)
{
	for (DualWrite **link = &compiled_triggers; *link != nullptr; link = &(*link)->next)
		if (*link == entry) {
			*link = entry->next;
			break;
		}
	for (int i = 0; i < entry->assignment_count; i++)
		release_column_expression(entry->assignments[i].compiled);
	ExecDropSingleTupleTableSlot(entry->slot);
	FreeExprContext(entry->econtext, false);
	MemoryContextDelete(entry->memory);
}

// A table's definition changed (or everything was invalidated): recompile on next use.
void invalidate_relation(Datum, Oid relation_oid)
{
	for (DualWrite *entry = compiled_triggers; entry != nullptr; entry = entry->next)
		if (relation_oid == InvalidOid || entry->relation_oid == relation_oid)
			entry->stale = true;
}

DualWrite *dual_write_for(Trigger *trigger, Relation rel)
{
	for (DualWrite *entry = compiled_triggers; entry != nullptr; entry = entry->next)
		if (entry->trigger_oid == trigger->tgoid) {
			if (!entry->stale)
				return entry;
			forget(entry);
			break;
		}
	DualWrite *entry = compile(trigger, rel);
	entry->next = compiled_triggers;
	compiled_triggers = entry;
	return entry;
}

bool decide_from_new_version(const DualWrite *entry, const char *search_path)
{
	char *copy = pstrdup(search_path);
	List *names = NIL;
	if (!SplitIdentifierString(copy, ',', &names))
		return false;
	ListCell *cell;
	foreach (cell, names) {
		const char *name = static_cast<const char *>(lfirst(cell));
		if (strcmp(name, entry->new_version) == 0)
			return true;
		if (strcmp(name, entry->schema) == 0 || (entry->old_version != nullptr && strcmp(name, entry->old_version) == 0))
			return false;
	}
	return false;
}

bool from_new_version(DualWrite *entry)
{
	const char *search_path = namespace_search_path != nullptr ? namespace_search_path : "";
	if (entry->cached_search_path != nullptr && strcmp(entry->cached_search_path, search_path) == 0)
		return entry->cached_from_new_version;
	MemoryContext old = MemoryContextSwitchTo(entry->memory);
	if (entry->cached_search_path != nullptr)
		pfree(entry->cached_search_path);
	entry->cached_search_path = pstrdup(search_path);
	entry->cached_from_new_version = decide_from_new_version(entry, search_path);
	MemoryContextSwitchTo(old);
	return entry->cached_from_new_version;
}

HeapTuple apply_assignments(DualWrite *entry, Relation rel, HeapTuple tuple, Direction direction)
{
	TupleDesc descriptor = RelationGetDescr(rel);
	for (int i = 0; i < entry->assignment_count; i++) {
		const Assignment &assignment = entry->assignments[i];
		if (assignment.direction != direction)
			continue;
		const CompiledColumnExpression &compiled = assignment.compiled;
		ExecStoreHeapTuple(tuple, entry->slot, false);
		bool isnull = false;
		Datum value = evaluate_column_expression(compiled, entry->slot, entry->econtext, &isnull);
		int column = compiled.target;
		// heap_modify_tuple copies the value into the new tuple (in the trigger's memory context),
		// so the expression's per-row memory can be reset right after.
		tuple = heap_modify_tuple_by_cols(tuple, descriptor, 1, &column, &value, &isnull);
		ExecClearTuple(entry->slot);
		ResetExprContext(entry->econtext);
	}
	return tuple;
}

}  // namespace

// Registered from _PG_init: compiled triggers follow their table's definition.
void register_dual_write_invalidation(void)
{
	CacheRegisterRelcacheCallback(invalidate_relation, 0);
}

extern "C" Datum pgshift_dual_write(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.dual_write() must be called as a trigger")));
	TriggerData *data = reinterpret_cast<TriggerData *>(fcinfo->context);
	if (!TRIGGER_FIRED_BEFORE(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event) ||
	    TRIGGER_FIRED_BY_DELETE(data->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(data->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgshift.dual_write() must be a BEFORE INSERT OR UPDATE row trigger")));

	HeapTuple tuple = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple : data->tg_trigtuple;
	DualWrite *entry = dual_write_for(data->tg_trigger, data->tg_relation);
	Direction direction = from_new_version(entry) ? Direction::down : Direction::up;
	compile_direction(entry, data->tg_relation, direction);
	return PointerGetDatum(apply_assignments(entry, data->tg_relation, tuple, direction));
}

// `down` runs only for new-version writes. An expression naming a column the new version does not
// have is reported but accepted, as pgroll accepts it (its example 35 has one): such writes fail.
void check_down_direction(DualWrite *entry, Relation rel)
{
	MemoryContext caller = CurrentMemoryContext;
	PG_TRY();
	{
		compile_direction(entry, rel, Direction::down);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		ErrorData *error = CopyErrorData();
		if (error->sqlerrcode != ERRCODE_UNDEFINED_COLUMN)
			PG_RE_THROW();
		FlushErrorState();
		ereport(WARNING, (errcode(error->sqlerrcode), errmsg("%s", error->message),
		                  errdetail("Writes through the new version of table \"%s\" will fail until this is fixed.",
		                            RelationGetRelationName(rel))));
	}
	PG_END_TRY();
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
		if (strcmp(trigger->tgname, "_pgshift_dual_write") != 0)
			continue;
		DualWrite *entry = compile(trigger, rel);
		compile_direction(entry, rel, Direction::up);
		check_down_direction(entry, rel);
		for (int k = 0; k < entry->assignment_count; k++)
			release_column_expression(entry->assignments[k].compiled);
		MemoryContextDelete(entry->memory);
		found = true;
	}
	relation_close(rel, AccessShareLock);
	PG_RETURN_BOOL(found);
}
