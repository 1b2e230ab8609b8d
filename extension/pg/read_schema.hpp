// Internal interface of pgshift.read_schema(schema name) -> jsonb, split over read_schema*.cpp.
//
// Everything here runs inside PostgreSQL and may ereport(ERROR) (a longjmp), so these files are
// written in plain C style: palloc'd memory in the current context, no C++ object with a destructor
// in any frame, no exceptions.
//
// A table is read in two steps: first the facts that several sections need (comments, index
// list, constraints, which columns are unique), then the sections, written in jsonb's key order
// (see jsonb_builder.hpp).
#pragma once

#include "pg/jsonb_builder.hpp"

extern "C" {
#include "postgres.h"
#include "access/htup.h"
#include "nodes/pg_list.h"
#include "utils/relcache.h"
}

// What one read_schema call shares across its tables: the catalogs scanned for every table are
// opened once per call.
struct ReadSchemaContext
{
	Oid namespace_oid;
	Relation pg_constraint;
	Relation pg_description;
};

// A table's pg_constraint rows (copies), by the output section they go to.
struct ConstraintGroups
{
	List *checks;
	List *uniques;
	List *exclusions;
	List *foreign_keys;
};

// The table being read: its relcache entry (open with AccessShareLock) and the facts gathered
// before writing.
struct TableReader
{
	ReadSchemaContext *ctx;
	Relation rel;
	char **comments;		/* [0]: the table's comment, [attnum]: a column's; NULL when none */
	List *indexes;			/* OIDs of its indexes */
	ConstraintGroups constraints;
	bool *unique_column;	/* [attnum]: the column alone is covered by a unique index/constraint */
};

// read_schema_indexes.cpp
void mark_columns_unique_by_index(TableReader *t);
void emit_indexes(JsonbBuilder *b, TableReader *t);		/* "indexes" */
void emit_primary_key(JsonbBuilder *b, TableReader *t);	/* "primaryKey" */
// Access method name and deparsed predicate (NULL when none) of an index of relid.
void read_index_method_and_predicate(Oid index_oid, Oid relid, char **method, char **predicate);

// read_schema_constraints.cpp
void collect_constraints(TableReader *t);
void mark_columns_unique_by_constraint(TableReader *t);
void emit_foreign_keys(JsonbBuilder *b, TableReader *t);			/* "foreignKeys" */
void emit_check_constraints(JsonbBuilder *b, TableReader *t);		/* "checkConstraints" */
void emit_unique_constraints(JsonbBuilder *b, TableReader *t);		/* "uniqueConstraints" */
void emit_exclusion_constraints(JsonbBuilder *b, TableReader *t);	/* "excludeConstraints" */

// read_schema_columns.cpp
void emit_columns(JsonbBuilder *b, TableReader *t);	/* "columns" */
// An array of the names of t's columns with these attribute numbers; numbers that are not user
// columns (0 stands for an expression) are skipped.
void emit_column_names(JsonbBuilder *b, TableReader *t, const int16 *attnums, int count);

// read_schema_deparse.cpp: the SQL-level deparsers (pg_get_expr, pg_get_indexdef,
// pg_get_constraintdef), called directly so the text is exactly what pgroll's SQL gets, and
// cached (deparse_cache.hpp). Each returns a palloc'd string, or NULL when the object vanished.
char *deparse_expression_of(Datum node_text, Oid relid);
char *deparse_node_string(const char *node_string, Oid relid);
char *deparse_index(Oid index_oid);
char *deparse_index_column(Oid index_oid, int column_number);
char *deparse_constraint(Oid constraint_oid);
