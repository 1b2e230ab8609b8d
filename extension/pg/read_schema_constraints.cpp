// read_schema: check, unique, exclusion and foreign-key constraints of a table, from one
// pg_constraint index scan per table. (Primary keys come from the index list, see
// read_schema_indexes.cpp; NOT NULL is a column property in PostgreSQL 15.)
#include "pg/read_schema.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/pg_constraint.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

typedef void (*ConstraintWriter)(JsonbBuilder *b, TableReader *t, HeapTuple constraint);

// The attribute numbers in an int2[] column of pg_constraint (conkey, confkey).
static int16 *constraint_attnums(TableReader *t, HeapTuple tuple, AttrNumber column, int *count)
{
	bool isnull;
	Datum datum = heap_getattr(tuple, column, RelationGetDescr(t->ctx->pg_constraint), &isnull);
	ArrayType *array;

	*count = 0;
	if (isnull)
		return NULL;
	array = DatumGetArrayTypeP(datum);
	if (ARR_NDIM(array) == 0)
		return NULL;
	if (ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != INT2OID)
		elog(ERROR, "pg_constraint column %d is not a 1-D smallint array", column);
	*count = ARR_DIMS(array)[0];
	return (int16 *) ARR_DATA_PTR(array);
}

static void emit_key_columns(JsonbBuilder *b, TableReader *t, HeapTuple tuple)
{
	int count;
	int16 *attnums = constraint_attnums(t, tuple, Anum_pg_constraint_conkey, &count);
	emit_column_names(b, t, attnums, count);
}

// Each writer writes its fields in jsonb's key order (see jsonb_builder.hpp).
static void emit_check(JsonbBuilder *b, TableReader *t, HeapTuple tuple)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

	jb_string_field(b, "name", NameStr(con->conname));
	jb_field(b, "columns");
	emit_key_columns(b, t, tuple);
	jb_bool_field(b, "noInherit", con->connoinherit);
	jb_string_field(b, "definition", deparse_constraint(con->oid));
}

static void emit_unique(JsonbBuilder *b, TableReader *t, HeapTuple tuple)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

	jb_string_field(b, "name", NameStr(con->conname));
	jb_field(b, "columns");
	emit_key_columns(b, t, tuple);
}

static void emit_exclusion(JsonbBuilder *b, TableReader *t, HeapTuple tuple)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
	char *method;
	char *predicate;

	read_index_method_and_predicate(con->conindid, con->conrelid, &method, &predicate);
	jb_string_field(b, "name", NameStr(con->conname));
	jb_string_field(b, "method", method);
	jb_field(b, "columns");
	emit_key_columns(b, t, tuple);
	jb_string_field(b, "predicate", predicate);
	jb_string_field(b, "definition", deparse_constraint(con->oid));
}

static const char *match_type_name(char match_type)
{
	switch (match_type)
	{
		case FKCONSTR_MATCH_FULL: return "FULL";
		case FKCONSTR_MATCH_PARTIAL: return "PARTIAL";
		case FKCONSTR_MATCH_SIMPLE: return "SIMPLE";
		default: return NULL;
	}
}

static const char *fk_action_name(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_NOACTION: return "NO ACTION";
		case FKCONSTR_ACTION_RESTRICT: return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE: return "CASCADE";
		case FKCONSTR_ACTION_SETNULL: return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT: return "SET DEFAULT";
		default: return NULL;
	}
}

// The referenced table's name, qualified with its schema when that is not the schema being read.
static char *referenced_table_name(TableReader *t, Oid relid)
{
	char *name = get_rel_name(relid);
	Oid namespace_oid = get_rel_namespace(relid);

	if (name == NULL || namespace_oid == t->ctx->namespace_oid)
		return name;
	return psprintf("%s.%s", get_namespace_name(namespace_oid), name);
}

static void emit_referenced_columns(JsonbBuilder *b, TableReader *t, HeapTuple tuple, Oid relid)
{
	int count;
	int16 *attnums = constraint_attnums(t, tuple, Anum_pg_constraint_confkey, &count);

	if (relid == RelationGetRelid(t->rel))
	{
		emit_column_names(b, t, attnums, count);
		return;
	}
	jb_begin_array(b);
	for (int i = 0; i < count; i++)
	{
		char *name = get_attname(relid, attnums[i], true);
		if (name != NULL)
			jb_string(b, name);
	}
	jb_end_array(b);
}

static void emit_foreign_key(JsonbBuilder *b, TableReader *t, HeapTuple tuple)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

	jb_string_field(b, "name", NameStr(con->conname));
	jb_field(b, "columns");
	emit_key_columns(b, t, tuple);
	jb_string_field(b, "onDelete", fk_action_name(con->confdeltype));
	jb_string_field(b, "onUpdate", fk_action_name(con->confupdtype));
	jb_string_field(b, "matchType", match_type_name(con->confmatchtype));
	jb_bool_field(b, "deferrable", con->condeferrable);
	jb_string_field(b, "definition", deparse_constraint(con->oid));
	jb_string_field(b, "referencedTable", referenced_table_name(t, con->confrelid));
	jb_bool_field(b, "initiallyDeferred", con->condeferred);
	jb_field(b, "referencedColumns");
	emit_referenced_columns(b, t, tuple, con->confrelid);
}

// When the referenced table is partitioned, PostgreSQL adds one internal FK row per referenced
// partition, on the same referencing table, as a child of the user's constraint. Those are
// implementation details (psql's \d hides them too); a partition's own copy of its parent
// table's FK is not, and stays.
static bool is_internal_fk_clone(Form_pg_constraint con)
{
	HeapTuple parent;
	bool same_table;

	if (!OidIsValid(con->conparentid))
		return false;
	parent = SearchSysCache1(CONSTROID, ObjectIdGetDatum(con->conparentid));
	if (!HeapTupleIsValid(parent))
		return false;
	same_table = ((Form_pg_constraint) GETSTRUCT(parent))->conrelid == con->conrelid;
	ReleaseSysCache(parent);
	return same_table;
}

void collect_constraints(TableReader *t)
{
	ConstraintGroups *groups = &t->constraints;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple tuple;

	memset(groups, 0, sizeof(*groups));
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(RelationGetRelid(t->rel)));
	scan = systable_beginscan(t->ctx->pg_constraint, ConstraintRelidTypidNameIndexId, true, NULL,
	                          1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		List **group;

		switch (con->contype)
		{
			case CONSTRAINT_CHECK: group = &groups->checks; break;
			case CONSTRAINT_UNIQUE: group = &groups->uniques; break;
			case CONSTRAINT_EXCLUSION: group = &groups->exclusions; break;
			case CONSTRAINT_FOREIGN:
				if (is_internal_fk_clone(con))
					continue;
				group = &groups->foreign_keys;
				break;
			default: continue;	// primary keys: see emit_primary_key
		}
		*group = lappend(*group, heap_copytuple(tuple));
	}
	systable_endscan(scan);
}

// A unique constraint on exactly one column makes that column unique.
void mark_columns_unique_by_constraint(TableReader *t)
{
	ListCell *lc;

	foreach (lc, t->constraints.uniques)
	{
		int count;
		int16 *attnums = constraint_attnums(t, (HeapTuple) lfirst(lc), Anum_pg_constraint_conkey,
		                                    &count);
		if (count == 1 && attnums[0] > 0 && attnums[0] <= RelationGetNumberOfAttributes(t->rel))
			t->unique_column[attnums[0]] = true;
	}
}

// "key": {"<name>": {...}, ...}; always present, {} when the group is empty.
static void emit_group(JsonbBuilder *b, TableReader *t, const char *literal_key, List *constraints,
                       ConstraintWriter write)
{
	ListCell *lc;

	jb_field(b, literal_key);
	jb_begin_object(b);
	foreach (lc, constraints)
	{
		HeapTuple tuple = (HeapTuple) lfirst(lc);
		jb_key(b, NameStr(((Form_pg_constraint) GETSTRUCT(tuple))->conname));
		jb_begin_object(b);
		write(b, t, tuple);
		jb_end_object(b);
	}
	jb_end_object(b);
}

void emit_foreign_keys(JsonbBuilder *b, TableReader *t)
{
	emit_group(b, t, "foreignKeys", t->constraints.foreign_keys, emit_foreign_key);
}

void emit_check_constraints(JsonbBuilder *b, TableReader *t)
{
	emit_group(b, t, "checkConstraints", t->constraints.checks, emit_check);
}

void emit_unique_constraints(JsonbBuilder *b, TableReader *t)
{
	emit_group(b, t, "uniqueConstraints", t->constraints.uniques, emit_unique);
}

void emit_exclusion_constraints(JsonbBuilder *b, TableReader *t)
{
	emit_group(b, t, "excludeConstraints", t->constraints.exclusions, emit_exclusion);
}
