// The backend's compiled dual-write triggers (see dual_write_entry.hpp).
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/dual_write_entry.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace {

DualWriteEntry *entries = nullptr;   // a short list: one entry per table with an active migration
uint64 namespaces_generation = 1;    // moves whenever a schema is created, renamed or dropped

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

void read_assignments(DualWriteEntry *entry, JsonbContainer *list)
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

void unlink_entry(DualWriteEntry *entry)
{
	for (DualWriteEntry **link = &entries; *link != nullptr; link = &(*link)->next)
		if (*link == entry) {
			*link = entry->next;
			return;
		}
}

// A table's definition changed (or everything was invalidated): recompile on next use.
void invalidate_relation(Datum, Oid relation_oid)
{
	for (DualWriteEntry *entry = entries; entry != nullptr; entry = entry->next)
		if (relation_oid == InvalidOid || entry->relation_oid == relation_oid)
			entry->stale = true;
}

void namespaces_changed(Datum, int, uint32)
{
	namespaces_generation++;
}

// No trigger runs once a transaction has ended: stale entries can go.
void free_stale_entries(XactEvent event, void *)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE)
		return;
	DualWriteEntry *entry = entries;
	while (entry != nullptr) {
		DualWriteEntry *next = entry->next;
		if (entry->stale) {
			unlink_entry(entry);
			free_dual_write_entry(entry);
		}
		entry = next;
	}
}

}  // namespace

bool is_dual_write_trigger(const char *name)
{
	return strcmp(name, "~pgshift_dual_write") == 0 || strcmp(name, "_pgshift_dual_write") == 0;
}

void register_dual_write_cache(void)
{
	CacheRegisterRelcacheCallback(invalidate_relation, 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, namespaces_changed, 0);
	RegisterXactCallback(free_stale_entries, nullptr);
}

DualWriteEntry *new_dual_write_entry(Trigger *trigger, Relation rel, MemoryContext parent)
{
	if (trigger->tgnargs != 1)
		bad_configuration("expected one argument");
	// Built under the current context, so a failed attempt is freed with it; kept only on success.
	MemoryContext memory = AllocSetContextCreate(CurrentMemoryContext, "pgshift dual_write", ALLOCSET_SMALL_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(memory);
	auto *entry = static_cast<DualWriteEntry *>(palloc0(sizeof(DualWriteEntry)));
	entry->trigger_oid = trigger->tgoid;
	entry->relation_oid = RelationGetRelid(rel);
	entry->memory = memory;

	Jsonb *config = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(trigger->tgargs[0])));
	entry->schema = json_string(&config->root, "schema");
	entry->new_version = json_string(&config->root, "new_version");
	entry->old_version = json_string(&config->root, "old_version");
	entry->pending_version = json_string(&config->root, "pending_version");
	JsonbContainer *assignments = json_container(&config->root, "assignments");
	if (entry->schema == nullptr || entry->new_version == nullptr || assignments == nullptr)
		bad_configuration("schema, new_version and assignments are required");
	read_assignments(entry, assignments);
	for (int i = 0; i < entry->assignment_count; i++)
		entry->assignments[i].target_attnum = attnameAttNum(rel, entry->assignments[i].target, false);
	// A private copy of the row type: the relcache's is reference-counted per transaction, and the
	// slot outlives transactions.
	entry->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)), &TTSOpsHeapTuple);
	entry->econtext = CreateStandaloneExprContext();
	entry->value_capacity = RelationGetNumberOfAttributes(rel);
	entry->values = static_cast<Datum *>(palloc(sizeof(Datum) * Max(entry->value_capacity, 1)));
	entry->nulls = static_cast<bool *>(palloc(sizeof(bool) * Max(entry->value_capacity, 1)));
	MemoryContextSwitchTo(caller);
	MemoryContextSetParent(memory, parent);
	return entry;
}

void free_dual_write_entry(DualWriteEntry *entry)
{
	for (int i = 0; i < entry->assignment_count; i++)
		release_column_expression(entry->assignments[i].compiled);
	ExecDropSingleTupleTableSlot(entry->slot);
	FreeExprContext(entry->econtext, false);
	MemoryContextDelete(entry->memory);
}

DualWriteEntry *dual_write_entry(Trigger *trigger, Relation rel)
{
	for (DualWriteEntry *entry = entries; entry != nullptr; entry = entry->next)
		if (entry->trigger_oid == trigger->tgoid && !entry->stale)
			return entry;
	DualWriteEntry *entry = new_dual_write_entry(trigger, rel, CacheMemoryContext);
	entry->next = entries;
	entries = entry;
	return entry;
}

void compile_direction(DualWriteEntry *entry, Relation rel, Direction direction)
{
	int index = direction == Direction::up ? 0 : 1;
	if (entry->compiled[index])
		return;
	// Compiled in a context of its own under the caller's: a failed attempt goes with the statement,
	// so a write that keeps failing (a `down` naming a column the new version lacks) costs nothing.
	MemoryContext attempt = AllocSetContextCreate(CurrentMemoryContext, "pgshift dual_write direction",
	                                              ALLOCSET_SMALL_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(attempt);
	auto *results = static_cast<CompiledColumnExpression *>(
	    palloc0(sizeof(CompiledColumnExpression) * (entry->assignment_count + 1)));
	PG_TRY();
	{
		for (int i = 0; i < entry->assignment_count; i++) {
			const Assignment &assignment = entry->assignments[i];
			if (assignment.direction != direction)
				continue;
			const char *what = psprintf("%s expression \"%s\" for column \"%s\"", index == 0 ? "up" : "down",
			                            assignment.expression, assignment.target);
			results[i] = compile_column_expression(rel, assignment.expression, assignment.columns, assignment.target,
			                                       what, entry->schema);
		}
	}
	PG_CATCH();
	{
		// Prepared queries are kept outside the attempt's memory.
		for (int i = 0; i < entry->assignment_count; i++)
			release_column_expression(results[i]);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	for (int i = 0; i < entry->assignment_count; i++)
		if (entry->assignments[i].direction == direction)
			entry->assignments[i].compiled = results[i];
	MemoryContextSetParent(attempt, entry->memory);
	entry->compiled[index] = true;
}

void refresh_version_namespaces(DualWriteEntry *entry)
{
	if (entry->namespaces_generation == namespaces_generation)
		return;
	Oid pending = entry->pending_version != nullptr ? get_namespace_oid(entry->pending_version, true) : InvalidOid;
	entry->new_version_oid = OidIsValid(pending) ? pending : get_namespace_oid(entry->new_version, true);
	entry->old_version_oid = entry->old_version != nullptr ? get_namespace_oid(entry->old_version, true) : InvalidOid;
	entry->namespaces_generation = namespaces_generation;
}
