// A backend-local cache of deparsed SQL text (index, constraint and expression definitions).
//
// Deparsing through ruleutils is by far the most expensive part of read_schema (pg_get_indexdef
// alone scans pg_opclass for every index column), yet its text only changes when a catalog row
// it reads changes or when a session setting that shapes it changes. So the whole cache is
// dropped:
//  * when catalog_generation() moved (catalog_generation.hpp says which changes move it);
//  * when the resolved search_path or a setting that formats constants or identifiers changed
//    since the last read_schema call (checked by deparse_cache_begin).
// Entries are only ever dropped at the start of a lookup, never under a caller: lookups return
// copies.
#pragma once

extern "C" {
#include "postgres.h"
}

// What was deparsed: kind (one of the DEPARSE_* letters), the object, and a detail (column
// number, or a hash of the expression's node string).
struct DeparseKey
{
	int32 kind;
	Oid object;
	int32 detail;
};

enum
{
	DEPARSE_INDEX = 'i',
	DEPARSE_INDEX_COLUMN = 'c',
	DEPARSE_CONSTRAINT = 'k',
	DEPARSE_EXPRESSION = 'e'
};

// Start of a read_schema call: empties the cache if the session's formatting state changed.
// Returns a counter that moves whenever it did.
uint64 deparse_cache_begin(void);

// The cached text for key, as a palloc'd copy in the current memory context, or NULL on a miss.
// node_string, when not NULL, must match the one stored with the entry (expressions are keyed
// by a hash of it).
char *deparse_cache_get(const DeparseKey *key, const char *node_string);

// Remembers text for key (both strings are copied).
void deparse_cache_put(const DeparseKey *key, const char *node_string, const char *text);
