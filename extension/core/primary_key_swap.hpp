// A primary key whose columns a migration replaces by twins (a type change of `id`, int -> bigint):
// the new key's unique index is built CONCURRENTLY by the worker once the backfill has filled the
// twins, and complete, after dropping the old columns (which takes the old key with them), makes
// that index the primary key: catalog changes only, so complete's lock is short whatever the table's
// size. Foreign keys of other tables that reference the key keep complete from dropping it: start
// refuses them, naming each one.
#pragma once
#include <string>
#include <vector>

#include "core/operation_plan.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

struct PrimaryKeySwaps {
	std::vector<ConcurrentStep> jobs;      // after the backfills
	std::vector<Statement> complete;       // after every operation's complete steps, before the final renames
};

PrimaryKeySwaps plan_primary_key_swaps(const std::string &schema, const VirtualSchema &virt, const VirtualSchema &before);

}  // namespace pgshift
