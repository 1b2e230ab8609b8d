// Internal interface of pgshift.read_schema(schema name) -> jsonb, split over read_schema*.cpp.
//
// Everything here runs inside PostgreSQL and may ereport(ERROR) (a longjmp), so these files are
// written in plain C style: palloc'd memory in the current context, no C++ object with a destructor
// in any frame, no exceptions.
#pragma once

#include "pg/jsonb_builder.hpp"

extern "C" {
#include "postgres.h"
#include "access/htup.h"
#include "utils/relcache.h"
}

// What one read_schema call shares across its tables: the catalogs scanned once per table are
// opened once per call.
struct ReadSchemaContext
{
	Oid namespace_oid;
	Relation pg_constraint;
	Relation pg_description;
};

// The table being read: its relcache entry (open with AccessShareLock) and facts that several
// sections of the output need.
struct TableReader
{
	ReadSchemaContext *ctx;
	Relation rel;
	char **comments;		/* [0]: the table's comment, [attnum]: a column's; NULL when none */
	bool *unique_column;	/* [attnum]: the column alone is covered by a unique index/constraint */
};

// read_schema_indexes.cpp: "primaryKey" and "indexes"; marks single-column unique indexes.
void emit_primary_key(JsonbBuilder *b, TableReader *t);
void emit_indexes(JsonbBuilder *b, TableReader *t);
// Access method name and deparsed predicate (NULL when none) of an index of relid.
void read_index_method_and_predicate(Oid index_oid, Oid relid, char **method, char **predicate);

// read_schema_constraints.cpp: "checkConstraints", "uniqueConstraints", "excludeConstraints" and
// "foreignKeys"; marks single-column unique constraints.
void emit_constraints(JsonbBuilder *b, TableReader *t);

// read_schema_columns.cpp: "columns"; run last, it reads unique_column.
void emit_columns(JsonbBuilder *b, TableReader *t);

// read_schema_deparse.cpp: the SQL-level deparsers (pg_get_expr, pg_get_indexdef,
// pg_get_constraintdef), called directly so the text is exactly what pgroll's SQL gets.
// Each returns a palloc'd string, or NULL when the object vanished meanwhile.
char *deparse_expression_of(Datum node_text, Oid relid);
char *deparse_node_string(const char *node_string, Oid relid);
char *deparse_index(Oid index_oid);
char *deparse_index_column(Oid index_oid, int column_number);
char *deparse_constraint(Oid constraint_oid);

// Writes an array of column names of t's table for the given attribute numbers; numbers that are
// not user columns (0 for an expression) are skipped.
void emit_column_names(JsonbBuilder *b, TableReader *t, const int16 *attnums, int count);
