// read_schema: the "columns" of a table, from its relcache tuple descriptor (names, types,
// NOT NULL, identity, generated, defaults) plus the pg_type and pg_enum syscaches.
#include "pg/read_schema.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

void emit_column_names(JsonbBuilder *b, TableReader *t, const int16 *attnums, int count)
{
	TupleDesc desc = RelationGetDescr(t->rel);

	jb_begin_array(b);
	for (int i = 0; i < count; i++)
	{
		AttrNumber attnum = attnums[i];
		if (attnum > 0 && attnum <= desc->natts)
			jb_string(b, NameStr(TupleDescAttr(desc, attnum - 1)->attname));
	}
	jb_end_array(b);
}

// s with its (single) occurrence of from replaced by to; s itself when from does not occur.
static char *replace_once(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from);

	if (at == NULL)
		return s;
	return psprintf("%.*s%s%s", (int) (at - s), s, to, at + strlen(from));
}

// format_type(atttypid, atttypmod), with pgroll's two short spellings: varchar and timestamptz,
// also as array element types (pgroll replaces them only for those types, not inside domains).
static char *column_type_name(Form_pg_attribute attr, Form_pg_type type)
{
	char *name = format_type_with_typemod(attr->atttypid, attr->atttypmod);

	if (attr->atttypid == VARCHAROID || type->typelem == VARCHAROID)
		return replace_once(name, "character varying", "varchar");
	if (attr->atttypid == TIMESTAMPTZOID || type->typelem == TIMESTAMPTZOID)
		return replace_once(name, "timestamp with time zone", "timestamptz");
	return name;
}

// A domain declared NOT NULL, or based on one, never holds NULL.
static bool is_not_null_domain(Form_pg_type type)
{
	Oid base;

	if (type->typtype != TYPTYPE_DOMAIN)
		return false;
	if (type->typnotnull)
		return true;
	for (base = type->typbasetype; OidIsValid(base);)
	{
		HeapTuple tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(base));
		Form_pg_type base_type;
		bool not_null;

		if (!HeapTupleIsValid(tuple))
			return false;
		base_type = (Form_pg_type) GETSTRUCT(tuple);
		not_null = base_type->typtype == TYPTYPE_DOMAIN && base_type->typnotnull;
		base = base_type->typtype == TYPTYPE_DOMAIN ? base_type->typbasetype : InvalidOid;
		ReleaseSysCache(tuple);
		if (not_null)
			return true;
	}
	return false;
}

static const char *postgres_type_kind(char typtype)
{
	switch (typtype)
	{
		case TYPTYPE_BASE: return "base";
		case TYPTYPE_COMPOSITE: return "composite";
		case TYPTYPE_DOMAIN: return "domain";
		case TYPTYPE_ENUM: return "enum";
		case TYPTYPE_PSEUDO: return "pseudo";
		case TYPTYPE_RANGE: return "range";
		case TYPTYPE_MULTIRANGE: return "multirange";
		default: return NULL;
	}
}

static const char *identity_kind(char attidentity)
{
	switch (attidentity)
	{
		case ATTRIBUTE_IDENTITY_ALWAYS: return "ALWAYS";
		case ATTRIBUTE_IDENTITY_BY_DEFAULT: return "BY DEFAULT";
		default: return NULL;
	}
}

static int compare_enum_sort_order(const void *a, const void *b)
{
	float4 left = ((Form_pg_enum) GETSTRUCT(*(HeapTuple const *) a))->enumsortorder;
	float4 right = ((Form_pg_enum) GETSTRUCT(*(HeapTuple const *) b))->enumsortorder;
	return left < right ? -1 : left > right ? 1 : 0;
}

// "enumvalues": the labels in sort order. The syscache list is cached across calls, but in label
// order, so sort it.
static void emit_enum_values(JsonbBuilder *b, Oid enum_type)
{
	CatCList *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(enum_type));
	HeapTuple *members = (HeapTuple *) palloc(Max(list->n_members, 1) * sizeof(HeapTuple));

	for (int i = 0; i < list->n_members; i++)
		members[i] = &list->members[i]->tuple;
	qsort(members, list->n_members, sizeof(HeapTuple), compare_enum_sort_order);

	jb_field(b, "enumvalues");
	jb_begin_array(b);
	for (int i = 0; i < list->n_members; i++)
		jb_string(b, NameStr(((Form_pg_enum) GETSTRUCT(members[i]))->enumlabel));
	jb_end_array(b);
	ReleaseSysCacheList(list);
}

// The column's default expression as stored in the relcache (pg_attrdef.adbin), or NULL.
static const char *default_node_string(TupleDesc desc, AttrNumber attnum)
{
	if (desc->constr == NULL)
		return NULL;
	for (int i = 0; i < desc->constr->num_defval; i++)
		if (desc->constr->defval[i].adnum == attnum)
			return desc->constr->defval[i].adbin;
	return NULL;
}

// The deparsed default expression, or a generated column's expression; NULL when none.
// (pgroll reports no default for a generated column; pgshift reports it as "generated".)
static char *default_expression(TableReader *t, Form_pg_attribute attr)
{
	const char *node_string;

	if (!attr->atthasdef)
		return NULL;
	node_string = default_node_string(RelationGetDescr(t->rel), attr->attnum);
	return node_string != NULL ? deparse_node_string(node_string, RelationGetRelid(t->rel)) : NULL;
}

static void emit_column(JsonbBuilder *b, TableReader *t, Form_pg_attribute attr)
{
	HeapTuple type_tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(attr->atttypid));
	Form_pg_type type;
	const char *name = NameStr(attr->attname);

	if (!HeapTupleIsValid(type_tuple))
		elog(ERROR, "cache lookup failed for type %u", attr->atttypid);
	type = (Form_pg_type) GETSTRUCT(type_tuple);

	// In jsonb's key order (see jsonb_builder.hpp).
	jb_key(b, name);
	jb_begin_object(b);
	jb_string_field(b, "name", name);
	jb_string_field(b, "type", column_type_name(attr, type));
	jb_int_field(b, "attnum", attr->attnum);
	jb_bool_field(b, "unique", t->unique_column[attr->attnum]);
	jb_string_field(b, "comment", t->comments[attr->attnum]);
	if (!attr->attgenerated)
		jb_string_field(b, "default", default_expression(t, attr));
	jb_string_field(b, "identity", identity_kind(attr->attidentity));
	jb_bool_field(b, "nullable", !(attr->attnotnull || is_not_null_domain(type)));
	if (attr->attgenerated)
		jb_string_field(b, "generated", default_expression(t, attr));
	if (type->typtype == TYPTYPE_ENUM)
		emit_enum_values(b, attr->atttypid);
	jb_string_field(b, "postgrestype", postgres_type_kind(type->typtype));
	jb_end_object(b);

	ReleaseSysCache(type_tuple);
}

// User columns, dropped ones excluded, keyed by name (each carries its attnum for ordering).
void emit_columns(JsonbBuilder *b, TableReader *t)
{
	TupleDesc desc = RelationGetDescr(t->rel);

	jb_field(b, "columns");
	jb_begin_object(b);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		if (!attr->attisdropped)
			emit_column(b, t, attr);
	}
	jb_end_object(b);
}
