// A backend-local counter that moves whenever a catalog that read_schema's caches depend on may
// have changed, so those caches can tell that they are stale.
//
// It moves on every relcache invalidation (any relation: pg_class, pg_attribute, pg_index and
// pg_attrdef changes all invalidate the relation they belong to) and on every invalidation of
// the syscaches listed in catalog_generation.cpp, whether the change came from another session,
// from our own transaction, or is undone by a (sub)transaction abort. An overflowing
// invalidation queue resets everything, which moves it too.
#pragma once

extern "C" {
#include "postgres.h"
}

uint64 catalog_generation(void);
