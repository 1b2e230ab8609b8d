// pgshift.read_schema(schema name) -> jsonb: a snapshot of a schema's tables, columns, keys,
// indexes and constraints, in the shape of pgroll's read_schema (docs/design.md, "read_schema
// JSON"). It reads the system catalogs directly (relcache, syscache, catalog scans) instead of
// running SQL. What is expensive is kept per backend until the catalogs change: the schema's
// table list (here), deparsed definitions (deparse_cache.hpp) and the last result
// (result_cache.hpp). bench/README.md has the figures.
//
// Each table is opened with AccessShareLock while it is read, so DDL that changes its definition
// waits for us (and we for it); the lock is released right away, as catalog readers do.
#include "pg/read_schema.hpp"
#include "pg/catalog_generation.hpp"
#include "pg/deparse_cache.hpp"
#include "pg/result_cache.hpp"
#include "pg/warm_memory.hpp"

extern "C" {
#include "fmgr.h"
#include "miscadmin.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_description.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

// OIDs of the ordinary and partitioned tables of a namespace (views, sequences, foreign tables
// and the like are not part of read_schema's output).
static List *scan_tables_in_namespace(Oid namespace_oid)
{
	List *tables = NIL;
	Relation pg_class = table_open(RelationRelationId, AccessShareLock);
	TableScanDesc scan;
	HeapTuple tuple;

	// No catalog index leads with relnamespace, so this reads all of pg_class. A plain heap scan
	// testing the fixed-width fields directly is the cheapest way: a scan key would go through
	// generic attribute access and an fmgr call per row, and systable_getnext through a slot.
	scan = table_beginscan_catalog(pg_class, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);
		if (form->relnamespace == namespace_oid &&
		    (form->relkind == RELKIND_RELATION || form->relkind == RELKIND_PARTITIONED_TABLE))
			tables = lappend_oid(tables, form->oid);
	}
	table_endscan(scan);
	table_close(pg_class, AccessShareLock);
	return tables;
}

// The same, remembered for the namespace read last: scanning pg_class is most of the cost of
// reading a small schema. generation is catalog_generation() at the start of the call; any
// relcache invalidation (a relation created, dropped, renamed or moved, in any schema) moves it
// and so forgets the list.
static List *tables_in_namespace(Oid namespace_oid, uint64 generation)
{
	static Oid cached_namespace = InvalidOid;
	static uint64 cached_generation = 0;
	static List *cached_tables = NIL;	/* in CacheMemoryContext */
	List *tables;
	MemoryContext caller;

	if (generation == cached_generation && namespace_oid == cached_namespace)
		return list_copy(cached_tables);

	tables = scan_tables_in_namespace(namespace_oid);
	cached_namespace = InvalidOid;	// nothing is cached until the copy below is complete
	list_free(cached_tables);
	cached_tables = NIL;
	caller = MemoryContextSwitchTo(CacheMemoryContext);
	cached_tables = list_copy(tables);
	MemoryContextSwitchTo(caller);
	cached_namespace = namespace_oid;
	cached_generation = generation;	// a change during the scan has moved it: next call scans
	return tables;
}

// Starts a scan of the comments on a table and on its columns (objsubid = attnum), in objsubid
// order.
static SysScanDesc begin_comment_scan(Relation pg_description, Oid relid)
{
	ScanKeyData keys[2];

	ScanKeyInit(&keys[0], Anum_pg_description_objoid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_description_classoid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(RelationRelationId));
	return systable_beginscan(pg_description, DescriptionObjIndexId, true, NULL, 2, keys);
}

static char *comment_text(Relation pg_description, HeapTuple tuple)
{
	bool isnull;
	Datum description = heap_getattr(tuple, Anum_pg_description_description,
	                                 RelationGetDescr(pg_description), &isnull);
	return isnull ? NULL : TextDatumGetCString(description);
}

// Comments on the table ([0]) and on its columns ([attnum]).
static char **read_comments(ReadSchemaContext *ctx, Relation rel)
{
	int natts = RelationGetNumberOfAttributes(rel);
	char **comments = (char **) palloc0((natts + 1) * sizeof(char *));
	SysScanDesc scan = begin_comment_scan(ctx->pg_description, RelationGetRelid(rel));
	HeapTuple tuple;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		int32 objsubid = ((Form_pg_description) GETSTRUCT(tuple))->objsubid;
		if (objsubid >= 0 && objsubid <= natts)
			comments[objsubid] = comment_text(ctx->pg_description, tuple);
	}
	systable_endscan(scan);
	return comments;
}

// Every comment on these tables and their columns, written out so that two readings compare
// exactly (for result_cache.hpp: COMMENT sends no invalidation).
static StringInfo all_comments(List *tables)
{
	StringInfo all = makeStringInfo();
	Relation pg_description = table_open(DescriptionRelationId, AccessShareLock);
	ListCell *lc;

	foreach (lc, tables)
	{
		Oid relid = lfirst_oid(lc);
		SysScanDesc scan = begin_comment_scan(pg_description, relid);
		HeapTuple tuple;

		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			int32 objsubid = ((Form_pg_description) GETSTRUCT(tuple))->objsubid;
			char *text = comment_text(pg_description, tuple);

			if (text == NULL)
				continue;
			appendBinaryStringInfo(all, (const char *) &relid, sizeof(relid));
			appendBinaryStringInfo(all, (const char *) &objsubid, sizeof(objsubid));
			appendStringInfoString(all, text);
			appendStringInfoChar(all, '\0');
		}
		systable_endscan(scan);
	}
	table_close(pg_description, AccessShareLock);
	return all;
}

// How logical replication identifies the table's rows: DEFAULT, NOTHING, FULL or INDEX (+ its name).
static void emit_replica_identity(JsonbBuilder *b, Relation rel)
{
	const char *identity = "DEFAULT";
	switch (rel->rd_rel->relreplident)
	{
		case REPLICA_IDENTITY_NOTHING: identity = "NOTHING"; break;
		case REPLICA_IDENTITY_FULL: identity = "FULL"; break;
		case REPLICA_IDENTITY_INDEX: identity = "INDEX"; break;
	}
	jb_string_field(b, "replicaIdentity", identity);
	if (rel->rd_rel->relreplident == REPLICA_IDENTITY_INDEX)
		jb_string_field(b, "replicaIdentityIndex", get_rel_name(RelationGetReplicaIndex(rel)));
}

// Partitions and inheritance, which a dual-write trigger and a backfill cannot handle: present
// only when they apply (pgshift's keys; pgroll has none).
static void emit_hierarchy(JsonbBuilder *b, Relation rel)
{
	Oid relid = RelationGetRelid(rel);
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		jb_bool_field(b, "partitioned", true);
	if (rel->rd_rel->relispartition)
		jb_string_field(b, "partitionOf", get_rel_name(get_partition_parent(relid, true)));
	else if (has_superclass(relid))
		jb_bool_field(b, "inheritsFrom", true);
	// relhassubclass may stay set after the last child went: ask pg_inherits.
	if (rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_rel->relhassubclass &&
	    find_inheritance_children(relid, NoLock) != NIL)
		jb_bool_field(b, "inheritedBy", true);
	// Rules rewrite the backfill's own UPDATE (an INSTEAD rule would make it do nothing).
	if (rel->rd_rel->relhasrules)
		jb_bool_field(b, "hasRules", true);
}

static void emit_table(JsonbBuilder *b, ReadSchemaContext *ctx, Oid relid)
{
	// The table may have been dropped since the pg_class scan.
	Relation rel = try_relation_open(relid, AccessShareLock);
	TableReader t;
	const char *name;

	if (rel == NULL)
		return;
	t.ctx = ctx;
	t.rel = rel;
	t.comments = read_comments(ctx, rel);
	t.indexes = RelationGetIndexList(rel);
	collect_constraints(&t);
	t.unique_column = (bool *) palloc0((RelationGetNumberOfAttributes(rel) + 1) * sizeof(bool));
	mark_columns_unique_by_index(&t);
	mark_columns_unique_by_constraint(&t);

	// Sections in jsonb's key order (see jsonb_builder.hpp).
	name = RelationGetRelationName(rel);
	jb_key(b, name);
	jb_begin_object(b);
	jb_string_field(b, "oid", psprintf("%u", relid));
	jb_string_field(b, "name", name);
	emit_columns(b, &t);
	jb_string_field(b, "comment", t.comments[0]);
	emit_indexes(b, &t);
	emit_primary_key(b, &t);
	emit_foreign_keys(b, &t);
	emit_replica_identity(b, rel);
	emit_hierarchy(b, rel);
	emit_check_constraints(b, &t);
	emit_unique_constraints(b, &t);
	emit_exclusion_constraints(b, &t);
	jb_end_object(b);

	relation_close(rel, AccessShareLock);
}

// Where a call builds its result, and scratch memory for one table, reset after each.
static WarmContext build_memory = WARM_CONTEXT("pgshift read_schema result");
static WarmContext table_memory = WARM_CONTEXT("pgshift read_schema table");

static void emit_tables(JsonbBuilder *b, Oid namespace_oid, List *tables)
{
	ReadSchemaContext ctx;
	MemoryContext caller;
	ListCell *lc;

	ctx.namespace_oid = namespace_oid;
	ctx.pg_constraint = table_open(ConstraintRelationId, AccessShareLock);
	ctx.pg_description = table_open(DescriptionRelationId, AccessShareLock);
	foreach (lc, tables)
	{
		CHECK_FOR_INTERRUPTS();		// safe here: these frames own no C++ objects
		caller = MemoryContextSwitchTo(warm_context_begin(&table_memory));
		emit_table(b, &ctx, lfirst_oid(lc));
		MemoryContextSwitchTo(caller);
		warm_context_reset(&table_memory);
	}
	table_close(ctx.pg_description, AccessShareLock);
	table_close(ctx.pg_constraint, AccessShareLock);
}

// The whole result, read from the catalogs.
static Jsonb *build_result(const char *schema_name, Oid namespace_oid, List *tables)
{
	MemoryContext caller = MemoryContextSwitchTo(warm_context_begin(&build_memory));
	JsonbBuilder b;
	Jsonb *result;

	jb_init(&b);
	jb_begin_object(&b);
	jb_string_field(&b, "name", schema_name);
	jb_field(&b, "tables");
	jb_begin_object(&b);
	emit_tables(&b, namespace_oid, tables);
	jb_end_object(&b);
	jb_end_object(&b);

	MemoryContextSwitchTo(caller);
	result = jb_finish(&b);		// serialized into the caller's memory
	warm_context_reset(&build_memory);
	return result;
}

extern "C" {

PG_FUNCTION_INFO_V1(pgshift_read_schema);
Datum pgshift_read_schema(PG_FUNCTION_ARGS)
{
	Name schema = PG_GETARG_NAME(0);
	ResultKey key;
	List *tables = NIL;
	Jsonb *result;

	// Take in what other sessions committed (as locking pg_class for a scan would), then note
	// the generation that everything read from here on is checked against.
	AcceptInvalidationMessages();
	key.catalog_generation = catalog_generation();
	key.format_generation = deparse_cache_begin();
	key.schema_name = NameStr(*schema);
	key.namespace_oid = get_namespace_oid(NameStr(*schema), true);
	if (OidIsValid(key.namespace_oid))	// a missing schema reads as an empty one
		tables = tables_in_namespace(key.namespace_oid, key.catalog_generation);
	key.comments = all_comments(tables);

	result = read_schema_result_cache ? result_cache_get(&key) : NULL;
	if (result == NULL)
	{
		result = build_result(NameStr(*schema), key.namespace_oid, tables);
		if (read_schema_result_cache)
			result_cache_put(&key, result);
	}
	PG_RETURN_JSONB_P(result);
}

}
