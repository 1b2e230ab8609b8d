// See warm_memory.hpp.
#include "pg/warm_memory.hpp"

extern "C" {
#include "port/pg_bitutils.h"
#include "utils/memutils.h"
}

static const Size smallest_block = 64 * 1024;
// Above this, the memory is given back after each call rather than kept by an idle backend.
static const Size largest_block = 16 * 1024 * 1024;

static void create(WarmContext *warm, Size first_block)
{
	// The function behind AllocSetContextCreate, whose compile-time check cannot see that
	// warm->name is a string literal (WARM_CONTEXT's argument).
	warm->context = AllocSetContextCreateInternal(TopMemoryContext, warm->name, first_block,
	                                              smallest_block, ALLOCSET_DEFAULT_MAXSIZE);
	warm->first_block = first_block;
}

MemoryContext warm_context_begin(WarmContext *warm)
{
	if (warm->context == NULL)
		create(warm, smallest_block);
	else
		MemoryContextReset(warm->context);
	return warm->context;
}

void warm_context_reset(WarmContext *warm)
{
	Size used = MemoryContextMemAllocated(warm->context, false);

	if (used > warm->first_block && warm->first_block < largest_block)
	{
		MemoryContextDelete(warm->context);
		create(warm, Min(pg_nextpower2_size_t(used), largest_block));
	}
	else
		MemoryContextReset(warm->context);
}
