// The last result of read_schema in this backend, returned again while nothing it was built
// from has changed. Calling read_schema over and over on an unchanged schema (monitoring, a
// pooled session, pgroll's own benchmark) then costs little more than the checks below.
//
// A result is reused only when all of these are unchanged:
//  * the schema name asked for, and the namespace it resolves to;
//  * catalog_generation() (catalog_generation.hpp): relations, columns, defaults, indexes,
//    constraints, types, enum labels, names of everything printed;
//  * the session's formatting state (search_path, DateStyle, ...; see deparse_cache_begin);
//  * the comments on the schema's tables and their columns. pg_description has no syscache,
//    so COMMENT sends no invalidation: the comments are read again on every call (one index
//    scan per table) and compared.
#pragma once

// pgshift.read_schema_result_cache: whether read_schema() may return its last result again when
// nothing it depends on changed (on by default; the benchmark measures both ways).
extern bool read_schema_result_cache;
void define_read_schema_settings(void);

extern "C" {
#include "postgres.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
}

struct ResultKey
{
	const char *schema_name;
	Oid namespace_oid;
	uint64 catalog_generation;	/* read before the result was built */
	uint64 format_generation;
	StringInfo comments;		/* every comment on the tables, see append_comments */
};

// A copy of the remembered result in the current memory context, or NULL.
Jsonb *result_cache_get(const ResultKey *key);

// Remembers result for key (both are copied).
void result_cache_put(const ResultKey *key, const Jsonb *result);
