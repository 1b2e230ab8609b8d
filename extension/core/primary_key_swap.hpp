// A primary key whose columns a migration replaces by twins (a type change of `id`, int -> bigint):
// the new key's unique index is built CONCURRENTLY by the worker once the backfill has filled the
// twins, and complete, after dropping the old columns (which takes the old key with them), makes
// that index the primary key: catalog changes only, so complete's lock is short whatever the table's
// size. The foreign keys of the schema's tables that reference the key follow it: the worker adds
// each one again onto the new key's columns (NOT VALID, then VALIDATE, both online), complete drops
// the old one first and gives the copy its name; rollback drops the copies.
#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/operation_plan.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

struct PrimaryKeySwaps {
	std::vector<Statement> start;          // warnings (a referencing column narrower than the new key)
	std::vector<ConcurrentStep> jobs;      // after the backfills
	std::vector<Statement> complete_first; // before every operation's complete steps
	std::vector<Statement> complete;       // after them, before the final renames
	std::vector<Statement> rollback_first; // before every operation's rollback steps
	json repointed = json::array();        // [[table, foreign key], ...]: not a reason to refuse the drop
};

PrimaryKeySwaps plan_primary_key_swaps(const std::string &schema, const VirtualSchema &virt, const VirtualSchema &before);

}  // namespace pgshift
