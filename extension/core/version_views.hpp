// The version schema: one view per table, mapping virtual names to physical columns.
// The overlay is the JSON form of a virtual schema's views:
//   {"tables": [{"name": view, "physical": table, "columns": [[virtual, physical], ...],
//                "defaults": {virtual: expression}}]}
// An overlay without "tables" means "every table and column as the catalog has them".
//
// Every view is auto-updatable, security_invoker (the table's privileges and row-level security
// apply to the caller) and WITH LOCAL CHECK OPTION over a condition that names a function of the
// pgshift library: planning any write through the view (an INSERT plans its check option, an
// UPDATE its condition) then loads the library, whose executor hook tells the dual-write trigger
// which version the write came through (pg/write_origin.hpp). Open views use
// pgshift._version_view_open(), an immutable `true` folded away at planning, so it costs nothing
// when run. A pending version (its backfill still runs, docs/design.md) uses
// pgshift._version_view_pending(name), which raises: nobody reads or writes a version before every
// row has its values.
//
// Each view column gets the default the client would get from the table: the table column's own,
// or the one the migration sets on the view only (add_column with a volatile default).
#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

json views_overlay(const VirtualSchema &virt);

struct VersionViewOptions {
	bool pending = false;       // views that refuse every use until the version is published
	bool replace = false;       // only CREATE OR REPLACE VIEW (publishing replaces pending views in place)
	std::string version_name;   // the name the version will be published under (for pending views' errors)
	// The views 0.1.0 made: no condition and no table defaults (pgshift 0.1.0's SQL calls the new
	// library until the database is updated, and it has none of the functions those need).
	bool legacy = false;
};

// CREATE SCHEMA, then CREATE VIEW and view column defaults (or only the replacements, see above).
std::vector<std::string> version_schema_sql(const std::string &schema, const std::string &version_schema,
                                            const json &catalog, const json &overlay,
                                            const VersionViewOptions &options = {});

}  // namespace pgshift
