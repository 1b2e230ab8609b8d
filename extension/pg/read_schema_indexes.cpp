// read_schema: "indexes" and "primaryKey" of a table, from its relcache index list and the
// pg_index / pg_class syscaches.
#include "pg/read_schema.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

// A unique index on exactly one key column makes that column unique (partial ones included, as
// in pgroll; INCLUDE columns do not count).
void mark_columns_unique_by_index(TableReader *t)
{
	ListCell *lc;

	foreach (lc, t->indexes)
	{
		HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;
		AttrNumber attnum;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		attnum = index->indkey.values[0];
		if (index->indisunique && index->indnkeyatts == 1 && attnum > 0 &&
		    attnum <= RelationGetNumberOfAttributes(t->rel))
			t->unique_column[attnum] = true;
		ReleaseSysCache(tuple);
	}
}

// All columns of the index (key and INCLUDE ones) in index order: a column's name, or the
// deparsed expression for an expression element.
static void emit_index_columns(JsonbBuilder *b, TableReader *t, Oid index_oid, Form_pg_index index)
{
	TupleDesc desc = RelationGetDescr(t->rel);

	jb_begin_array(b);
	for (int i = 0; i < index->indnatts; i++)
	{
		AttrNumber attnum = index->indkey.values[i];
		if (attnum > 0 && attnum <= desc->natts)
			jb_string(b, NameStr(TupleDescAttr(desc, attnum - 1)->attname));
		else
		{
			char *expression = deparse_index_column(index_oid, i + 1);
			if (expression != NULL)
				jb_string(b, expression);
		}
	}
	jb_end_array(b);
}

static char *index_predicate(HeapTuple index_tuple, Oid relid)
{
	bool isnull;
	Datum predicate = SysCacheGetAttr(INDEXRELID, index_tuple, Anum_pg_index_indpred, &isnull);
	return isnull ? NULL : deparse_expression_of(predicate, relid);
}

static void emit_index(JsonbBuilder *b, TableReader *t, Oid index_oid)
{
	HeapTuple index_tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
	HeapTuple class_tuple;
	Form_pg_index index;
	Form_pg_class index_class;
	char *definition;

	if (!HeapTupleIsValid(index_tuple))
		return;		// dropped concurrently (DROP INDEX CONCURRENTLY does not lock the table)
	class_tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(index_oid));
	definition = deparse_index(index_oid);
	if (!HeapTupleIsValid(class_tuple) || definition == NULL)
	{
		if (HeapTupleIsValid(class_tuple))
			ReleaseSysCache(class_tuple);
		ReleaseSysCache(index_tuple);
		return;
	}
	index = (Form_pg_index) GETSTRUCT(index_tuple);
	index_class = (Form_pg_class) GETSTRUCT(class_tuple);

	// In jsonb's key order (see jsonb_builder.hpp).
	jb_key(b, NameStr(index_class->relname));
	jb_begin_object(b);
	jb_string_field(b, "name", NameStr(index_class->relname));
	jb_string_field(b, "method", get_am_name(index_class->relam));
	jb_bool_field(b, "unique", index->indisunique);
	jb_field(b, "columns");
	emit_index_columns(b, t, index_oid, index);
	jb_bool_field(b, "primary", index->indisprimary);
	jb_bool_field(b, "exclusion", index->indisexclusion);
	jb_string_field(b, "predicate", index_predicate(index_tuple, RelationGetRelid(t->rel)));
	jb_string_field(b, "definition", definition);
	jb_end_object(b);

	ReleaseSysCache(class_tuple);
	ReleaseSysCache(index_tuple);
}

// All indexes of the table, the primary key's and those behind constraints included.
void emit_indexes(JsonbBuilder *b, TableReader *t)
{
	ListCell *lc;

	jb_field(b, "indexes");
	jb_begin_object(b);
	foreach (lc, t->indexes)
		emit_index(b, t, lfirst_oid(lc));
	jb_end_object(b);
}

// The primary key's key columns in index order; [] when the table has none.
void emit_primary_key(JsonbBuilder *b, TableReader *t)
{
	Oid pk_index = RelationGetPrimaryKeyIndex(t->rel);
	HeapTuple tuple;

	jb_field(b, "primaryKey");
	if (!OidIsValid(pk_index) ||
	    !HeapTupleIsValid(tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk_index))))
	{
		jb_begin_array(b);
		jb_end_array(b);
		return;
	}
	Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
	emit_column_names(b, t, index->indkey.values, index->indnkeyatts);
	ReleaseSysCache(tuple);
}

void read_index_method_and_predicate(Oid index_oid, Oid relid, char **method, char **predicate)
{
	HeapTuple index_tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
	HeapTuple class_tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(index_oid));

	*method = NULL;
	*predicate = NULL;
	if (HeapTupleIsValid(class_tuple))
	{
		*method = get_am_name(((Form_pg_class) GETSTRUCT(class_tuple))->relam);
		ReleaseSysCache(class_tuple);
	}
	if (HeapTupleIsValid(index_tuple))
	{
		*predicate = index_predicate(index_tuple, relid);
		ReleaseSysCache(index_tuple);
	}
}
