// The DO blocks the planner writes (a step that must look at the catalog when it runs: a sequence,
// whether a constraint was copied). Migration steps run with the managed schema on the search_path,
// where a role with CREATE could put an operator that a comparison in a catalog query would pick
// (oid = regclass has no exact match in pg_catalog): the block's statements run with search_path
// pg_catalog, pg_temp, and the step's search_path comes back after them. The dollar-quote tag is one
// the block's text does not contain, whatever names it quotes.
#pragma once
#include <string>

namespace pgshift {

// `declarations`: the DECLARE section's lines (they are evaluated before the search_path is pinned:
// casts and schema-qualified calls only). `statements`: the body; `EXIT pgshift_body;` leaves it.
std::string pinned_do_block(const std::string &declarations, const std::string &statements);

}  // namespace pgshift
