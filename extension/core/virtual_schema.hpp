// The schema as clients of the new version will see it. Built from a read_schema() snapshot, then
// changed by each operation in turn, so later operations of a migration see earlier ones' effects.
// Every table and column carries both its virtual name and the physical one it maps to.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"

namespace pgshift {

struct VirtualColumn {
	std::string name;      // as the new version's view shows it
	std::string physical;  // the table column behind it
	std::string type;
	bool nullable = true;
	bool unique = false;   // alone covered by a unique constraint or index
	std::optional<std::string> default_expr;
	std::optional<std::string> view_default;  // a default set on the view column only
};

struct VirtualTable {
	std::string name;      // the view's name
	std::string physical;  // the table's name
	std::vector<VirtualColumn> columns;
	std::vector<std::string> primary_key;  // virtual column names
	std::set<std::string> constraint_names;
	json catalog;                          // the table's read_schema() entry; null for new tables
	// Indexes the migration creates on it so far, with the physical columns each covers: a later
	// operation that replaces one of those columns by a twin would leave the index behind.
	std::vector<std::pair<std::string, std::set<std::string>>> new_indexes;
	// A partitioned table (PARTITION BY), with the names of its partitions (from the catalog, or made
	// by this migration); a partition that is partitioned itself is marked in sub_partitioned.
	bool rebuilt = false;   // rebuild_table moved it to a new physical table (no other operation may touch it)
	bool partitioned = false;
	std::vector<std::string> partitions;
	json partition_catalogs = json::array();   // the read_schema() entries of the partitions that exist
	bool sub_partitioned = false;

	// {"virtual name": "physical name", ...}: how this version's names map onto the table.
	json column_map() const;
	// The same, for renaming the columns an expression names (expression_columns.hpp).
	std::map<std::string, std::string> physical_names() const;

	VirtualColumn *find_column(const std::string &name);
	const VirtualColumn *find_column(const std::string &name) const;
};

class VirtualSchema {
public:
	// From pgshift.read_schema() JSON; tables and columns named _pgshift_* are internal and left out,
	// as are partitions (their partitioned table stands for them).
	static VirtualSchema from_catalog(const json &catalog);

	const std::string &name() const { return name_; }
	const std::vector<VirtualTable> &tables() const { return tables_; }
	VirtualTable *find_table(const std::string &name);
	void add_table(VirtualTable table);
	void remove_table(const std::string &name);
	void add_index(const std::string &name) { index_names_.insert(name); }
	void remove_index(const std::string &name) { index_names_.erase(name); }
	// Index names are one namespace per schema (they are relations).
	bool has_index(const std::string &name) const { return index_names_.count(name) > 0; }

private:
	std::string name_;
	std::vector<VirtualTable> tables_;
	std::set<std::string> index_names_;
};

// Internal objects pgshift creates carry this prefix.
inline constexpr const char *internal_prefix = "_pgshift_";
bool is_internal_name(const std::string &name);

}  // namespace pgshift
