// pgshift.read_schema(schema name) -> jsonb: a snapshot of a schema's tables, columns, keys,
// indexes and constraints, in the shape of pgroll's read_schema (docs/design.md, "read_schema
// JSON"). It reads the system catalogs directly (relcache, syscache, catalog scans) instead of
// running SQL, and caches what is expensive to find (the schema's table list, deparsed
// definitions) until the catalogs change: an order of magnitude faster than pgroll's PL/pgSQL
// version (bench/README.md).
//
// Each table is opened with AccessShareLock while it is read, so DDL that changes its definition
// waits for us (and we for it); the lock is released right away, as catalog readers do.
#include "pg/read_schema.hpp"
#include "pg/catalog_generation.hpp"
#include "pg/deparse_cache.hpp"
#include "pg/warm_memory.hpp"

extern "C" {
#include "fmgr.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_description.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
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
// reading a small schema. Any relcache invalidation (a relation created, dropped, renamed or
// moved, in any schema) moves catalog_generation() and forgets the list.
static List *tables_in_namespace(Oid namespace_oid)
{
	static Oid cached_namespace = InvalidOid;
	static uint64 cached_generation = 0;
	static List *cached_tables = NIL;	/* in CacheMemoryContext */
	uint64 generation;
	List *tables;
	MemoryContext caller;

	// Take in what other sessions committed, as the scan's lock on pg_class would.
	AcceptInvalidationMessages();
	generation = catalog_generation();
	if (generation == cached_generation && namespace_oid == cached_namespace)
		return list_copy(cached_tables);

	// The generation read before the scan is stored: a change that arrives during the scan
	// makes the next call scan again.
	tables = scan_tables_in_namespace(namespace_oid);
	cached_namespace = InvalidOid;	// nothing is cached until the copy below is complete
	list_free(cached_tables);
	cached_tables = NIL;
	caller = MemoryContextSwitchTo(CacheMemoryContext);
	cached_tables = list_copy(tables);
	MemoryContextSwitchTo(caller);
	cached_namespace = namespace_oid;
	cached_generation = generation;
	return tables;
}

// Comments on the table ([0]) and on its columns ([attnum]), from one pg_description scan.
static char **read_comments(ReadSchemaContext *ctx, Relation rel)
{
	int natts = RelationGetNumberOfAttributes(rel);
	char **comments = (char **) palloc0((natts + 1) * sizeof(char *));
	TupleDesc description_desc = RelationGetDescr(ctx->pg_description);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple tuple;

	ScanKeyInit(&keys[0], Anum_pg_description_objoid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(RelationGetRelid(rel)));
	ScanKeyInit(&keys[1], Anum_pg_description_classoid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(RelationRelationId));
	scan = systable_beginscan(ctx->pg_description, DescriptionObjIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_description form = (Form_pg_description) GETSTRUCT(tuple);
		bool isnull;
		Datum description;

		if (form->objsubid < 0 || form->objsubid > natts)
			continue;
		description = heap_getattr(tuple, Anum_pg_description_description, description_desc, &isnull);
		if (!isnull)
			comments[form->objsubid] = TextDatumGetCString(description);
	}
	systable_endscan(scan);
	return comments;
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
	emit_check_constraints(b, &t);
	emit_unique_constraints(b, &t);
	emit_exclusion_constraints(b, &t);
	jb_end_object(b);

	relation_close(rel, AccessShareLock);
}

// Where a call builds its result, and scratch memory for one table, reset after each.
static WarmContext build_memory = WARM_CONTEXT("pgshift read_schema result");
static WarmContext table_memory = WARM_CONTEXT("pgshift read_schema table");

static void emit_tables(JsonbBuilder *b, Oid namespace_oid)
{
	ReadSchemaContext ctx;
	List *tables = tables_in_namespace(namespace_oid);
	MemoryContext caller;
	ListCell *lc;

	ctx.namespace_oid = namespace_oid;
	ctx.pg_constraint = table_open(ConstraintRelationId, AccessShareLock);
	ctx.pg_description = table_open(DescriptionRelationId, AccessShareLock);
	foreach (lc, tables)
	{
		caller = MemoryContextSwitchTo(warm_context_begin(&table_memory));
		emit_table(b, &ctx, lfirst_oid(lc));
		MemoryContextSwitchTo(caller);
		warm_context_reset(&table_memory);
	}
	table_close(ctx.pg_description, AccessShareLock);
	table_close(ctx.pg_constraint, AccessShareLock);
}

extern "C" {

PG_FUNCTION_INFO_V1(pgshift_read_schema);
Datum pgshift_read_schema(PG_FUNCTION_ARGS)
{
	Name schema = PG_GETARG_NAME(0);
	Oid namespace_oid = get_namespace_oid(NameStr(*schema), true);
	MemoryContext caller;
	JsonbBuilder b;
	Jsonb *result;

	deparse_cache_begin();
	caller = MemoryContextSwitchTo(warm_context_begin(&build_memory));
	jb_init(&b);
	jb_begin_object(&b);
	jb_string_field(&b, "name", NameStr(*schema));
	jb_field(&b, "tables");
	jb_begin_object(&b);
	if (OidIsValid(namespace_oid))	// a missing schema reads as an empty one
		emit_tables(&b, namespace_oid);
	jb_end_object(&b);
	jb_end_object(&b);

	MemoryContextSwitchTo(caller);
	result = jb_finish(&b);		// serialized into the caller's memory
	warm_context_reset(&build_memory);
	PG_RETURN_JSONB_P(result);
}

}
