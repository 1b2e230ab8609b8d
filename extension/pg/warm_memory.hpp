// Memory contexts that stay warm across calls of a function.
//
// read_schema allocates far more than its result keeps (the JsonbValue tree, deparser workspace,
// tuple copies). Allocated afresh from the executor's per-row memory on every call, that memory
// goes back to malloc, and often to the kernel, after each call, and page faults then cost more
// than reading the catalogs. A warm context lives for the whole backend and keeps its first
// block across resets; that block grows to what the work needed so far (capped), so a repeated
// call runs in memory that is already mapped.
#pragma once

extern "C" {
#include "postgres.h"
}

struct WarmContext
{
	const char *name;		/* a string literal */
	MemoryContext context;	/* NULL until first used */
	Size first_block;		/* size of the block kept across resets */
};

#define WARM_CONTEXT(name) {(name), NULL, 0}

// The context, created on first use and emptied (memory left over by a call that failed is
// reclaimed here).
MemoryContext warm_context_begin(WarmContext *warm);

// Empties the context; when the work done in it outgrew the kept block, the next one kept is
// larger.
void warm_context_reset(WarmContext *warm);
