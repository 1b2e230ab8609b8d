// See catalog_generation.hpp.
#include "pg/catalog_generation.hpp"

extern "C" {
#include "utils/inval.h"
#include "utils/syscache.h"
}

static uint64 generation = 1;

static void on_syscache_invalidation(Datum arg, int cacheid, uint32 hashvalue)
{
	generation++;
}

static void on_relcache_invalidation(Datum arg, Oid relid)
{
	generation++;
}

// Catalogs whose rows the deparsers print by name (besides relations, covered by the relcache
// callback), plus pg_constraint, pg_opclass and pg_cast (which decide whether an operator class
// is the default one, hence omitted) and pg_enum (enum constants print as labels).
static const int watched_syscaches[] = {
	NAMESPACEOID, TYPEOID, PROCOID, OPEROID, COLLOID, CLAOID, AMOID, CONSTROID,
	CASTSOURCETARGET, ENUMOID, TSCONFIGOID, TSDICTOID, AUTHOID, TABLESPACEOID,
};

uint64 catalog_generation(void)
{
	static bool registered = false;

	if (!registered)
	{
		for (size_t i = 0; i < lengthof(watched_syscaches); i++)
			CacheRegisterSyscacheCallback(watched_syscaches[i], on_syscache_invalidation, (Datum) 0);
		CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum) 0);
		registered = true;
	}
	return generation;
}
