// See deparse_cache.hpp.
#include "pg/deparse_cache.hpp"
#include "pg/catalog_generation.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/bytea.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
}

// Bounds the cache; past this many entries it starts over.
static const long max_entries = 20000;
// Resolved search paths longer than this are never considered unchanged.
#define MAX_SEARCH_PATH 16

struct DeparseEntry
{
	DeparseKey key;		/* hash key, first */
	char *node_string;
	char *text;
};

// Session state that changes deparsed text without any catalog change: which schemas are visible
// (names are qualified when not), and the settings that format constants and identifiers.
struct SessionFormat
{
	Oid search_path[MAX_SEARCH_PATH];
	int search_path_length;
	int date_style;
	int date_order;
	int interval_style;
	int extra_float_digits;
	int bytea_output;
	bool standard_conforming_strings;
	bool quote_all_identifiers;
	pg_tz *timezone;
};

static MemoryContext cache_memory;	/* holds the table and its strings; reset to empty the cache */
static HTAB *cache;					/* NULL when empty */
static uint64 cache_generation;		/* catalog_generation() when the cache was last emptied */
static SessionFormat last_format;	/* compared bytewise, padding included: always memset first */
static char *last_lc_monetary;		/* money constants follow lc_monetary; in TopMemoryContext */
static uint64 format_generation = 1;	/* moves whenever the format changed */

static void empty_cache(void)
{
	if (cache_memory != NULL)
		MemoryContextReset(cache_memory);
	cache = NULL;
	cache_generation = catalog_generation();
}

static void current_format(SessionFormat *format)
{
	memset(format, 0, sizeof(*format));
	format->search_path_length = fetch_search_path_array(format->search_path, MAX_SEARCH_PATH);
	format->date_style = DateStyle;
	format->date_order = DateOrder;
	format->interval_style = IntervalStyle;
	format->extra_float_digits = extra_float_digits;
	format->bytea_output = bytea_output;
	format->standard_conforming_strings = standard_conforming_strings;
	format->quote_all_identifiers = quote_all_identifiers;
	format->timezone = session_timezone;
}

uint64 deparse_cache_begin(void)
{
	SessionFormat format;
	const char *lc_monetary = locale_monetary != NULL ? locale_monetary : "";

	current_format(&format);
	if (format.search_path_length > MAX_SEARCH_PATH ||
	    memcmp(&format, &last_format, sizeof(format)) != 0 ||
	    last_lc_monetary == NULL || strcmp(lc_monetary, last_lc_monetary) != 0)
	{
		empty_cache();
		format_generation++;
		memcpy(&last_format, &format, sizeof(format));
		if (last_lc_monetary != NULL)
			pfree(last_lc_monetary);
		last_lc_monetary = MemoryContextStrdup(TopMemoryContext, lc_monetary);
	}
	return format_generation;
}

// The hash table, emptied first if the catalogs changed, and created on first use.
static HTAB *usable_cache(void)
{
	HASHCTL ctl;

	if (cache_generation != catalog_generation())
		empty_cache();
	if (cache != NULL)
		return cache;
	if (cache_memory == NULL)
		cache_memory = AllocSetContextCreate(CacheMemoryContext, "pgshift deparse cache",
		                                     ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(DeparseKey);
	ctl.entrysize = sizeof(DeparseEntry);
	ctl.hcxt = cache_memory;
	cache = hash_create("pgshift deparse cache", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return cache;
}

static bool same_node_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

char *deparse_cache_get(const DeparseKey *key, const char *node_string)
{
	DeparseEntry *entry = (DeparseEntry *) hash_search(usable_cache(), key, HASH_FIND, NULL);

	if (entry == NULL || !same_node_string(entry->node_string, node_string))
		return NULL;
	return pstrdup(entry->text);
}

void deparse_cache_put(const DeparseKey *key, const char *node_string, const char *text)
{
	HTAB *table = usable_cache();
	char *node_copy;
	char *text_copy;
	DeparseEntry *entry;
	bool found;

	if (hash_get_num_entries(table) >= max_entries)
	{
		empty_cache();
		table = usable_cache();
	}
	// Copy first, then enter: an out-of-memory error can then never leave an entry behind whose
	// fields a later lookup would read uninitialized.
	node_copy = node_string != NULL ? MemoryContextStrdup(cache_memory, node_string) : NULL;
	text_copy = MemoryContextStrdup(cache_memory, text);
	entry = (DeparseEntry *) hash_search(table, key, HASH_ENTER, &found);
	if (found)
	{
		if (entry->node_string != NULL)
			pfree(entry->node_string);
		pfree(entry->text);
	}
	entry->node_string = node_copy;
	entry->text = text_copy;
}
