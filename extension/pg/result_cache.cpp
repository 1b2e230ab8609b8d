// See result_cache.hpp.
#include "pg/result_cache.hpp"

extern "C" {
#include "utils/guc.h"
#include "utils/memutils.h"
}

// Bigger results are not kept: an idle backend should not hold on to them.
static const Size largest_result = 16 * 1024 * 1024;

static MemoryContext cache_memory;	/* holds the entry below; reset to replace it */
static bool cached;
static ResultKey cached_key;		/* its strings live in cache_memory */
static Jsonb *cached_result;

static bool same_key(const ResultKey *a, const ResultKey *b)
{
	return a->namespace_oid == b->namespace_oid &&
	       a->catalog_generation == b->catalog_generation &&
	       a->format_generation == b->format_generation &&
	       strcmp(a->schema_name, b->schema_name) == 0 &&
	       a->comments->len == b->comments->len &&
	       memcmp(a->comments->data, b->comments->data, a->comments->len) == 0;
}

Jsonb *result_cache_get(const ResultKey *key)
{
	Jsonb *copy;

	if (!cached || !same_key(key, &cached_key))
		return NULL;
	copy = (Jsonb *) palloc(VARSIZE(cached_result));
	memcpy(copy, cached_result, VARSIZE(cached_result));
	return copy;
}

void result_cache_put(const ResultKey *key, const Jsonb *result)
{
	MemoryContext caller;
	StringInfo comments;

	if (cache_memory == NULL)
		cache_memory = AllocSetContextCreate(CacheMemoryContext, "pgshift read_schema result cache",
		                                     ALLOCSET_DEFAULT_SIZES);
	cached = false;		// until the copies below are complete
	MemoryContextReset(cache_memory);
	if (VARSIZE(result) > largest_result)
		return;

	caller = MemoryContextSwitchTo(cache_memory);
	cached_key = *key;
	cached_key.schema_name = pstrdup(key->schema_name);
	comments = makeStringInfo();
	appendBinaryStringInfo(comments, key->comments->data, key->comments->len);
	cached_key.comments = comments;
	cached_result = (Jsonb *) palloc(VARSIZE(result));
	memcpy(cached_result, result, VARSIZE(result));
	MemoryContextSwitchTo(caller);
	cached = true;
}

bool read_schema_result_cache = true;

void define_read_schema_settings(void)
{
	DefineCustomBoolVariable("pgshift.read_schema_result_cache",
	                         "Lets read_schema() return its last result again while nothing it depends on changed.",
	                         NULL, &read_schema_result_cache, true, PGC_USERSET, 0, NULL, NULL, NULL);
}
