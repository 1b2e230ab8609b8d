// What a migration needs to keep both versions of its tables in step: per table, the assignments
// of its pgshift.dual_write() trigger, and whether existing rows must be backfilled.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/statement.hpp"
#include "core/virtual_schema.hpp"

namespace pgshift {

struct ColumnAssignment {
	std::string direction;   // "up": writes from the old version fill `target`; "down": the reverse
	std::string target;      // physical column written
	std::string expression;  // SQL over the version's column names
	json columns;            // that version's {virtual: physical} map
	std::string pair = "";   // for a twin's two assignments, the other column of the pair
};

class DualWritePlan {
public:
	void add(const VirtualTable &table, ColumnAssignment assignment);
	// The assignment of `table` in `direction` that writes `target` (up) or mirrors twin `target`
	// (down), or nullptr: a later operation on the same column composes its expressions with it.
	ColumnAssignment *find(const VirtualTable &table, const std::string &direction, const std::string &target);
	// Existing rows of `table` get the up assignments by a batched no-op update of `touch_column`;
	// a rebuilt table's rows get them as rebuild_table's copy inserts them (its trigger fires on
	// every row copied), so it gets no backfill job of its own.
	void backfill(const VirtualTable &table, const std::string &touch_column);

	bool empty() const { return tables_.empty(); }
	// The physical tables that get a dual-write trigger or a backfill.
	std::vector<std::string> tables() const;
	// Throws for a table whose rows a row trigger and a backfill cannot keep in step: partitions of
	// partitions, inheritance parents and children, tables with rules.
	void check_supported() const;

	// Whether some table of the plan is backfilled or filled by a rebuild's copy (then its version
	// opens only when that is done).
	bool has_backfill() const;

	// Appends CREATE TRIGGER statements to `start`, the trigger drops to `drops` (complete and rollback
	// run them first), and the backfill jobs to `jobs`. `pending_version` is the name the new version
	// has until its backfills and copies are done ("" when it opens at start), which the triggers
	// then know it by: a schema that someone else gives the new version's name meanwhile is not the
	// new version.
	void emit(const std::string &schema, const std::string &new_version, const std::string &previous_version,
	          const std::string &pending_version, std::vector<Statement> &start, std::vector<Statement> &drops,
	          json &jobs) const;

private:
	struct Table {
		std::string physical;
		json catalog;
		json partition_catalogs;   // of a partitioned table: its partitions, backfilled one by one
		std::vector<ColumnAssignment> assignments;
		std::string touch_column;   // "" when no backfill is needed
		bool filled_by_copy = false;   // a rebuild: its rows are new, and its copy fills them
	};
	std::vector<Table> tables_;
	Table &table(const VirtualTable &table);
};

// The trigger pgshift creates on each table with an active migration. BEFORE triggers fire in the
// order of their names (bytewise): this one sorts after every ASCII name, so that what the table's
// own BEFORE triggers do to the row (normalizing an email, stamping a time) reaches both versions.
// pgshift 0.1.0 called it _pgshift_dual_write, which sorts before lowercase names.
inline constexpr const char *dual_write_trigger_name = "~pgshift_dual_write";

// One backfill batch of `table` ($1 cursor text[], $2 batch size) returning (rows, next cursor):
// keyset over the primary key or a unique NOT NULL column when there is one, else block ranges of
// the table as it was when the backfill began.
std::string backfill_batch_sql(const std::string &schema, const std::string &table, const json &catalog,
                               const std::string &touch_column);

// The key-range part of a keyset batch over `table` (quoted, qualified) by `key`: the CTEs last,
// stop and bound (ending in ",\n"), the condition that a row is in the batch's range (the row's
// columns unqualified), and the next cursor (NULL after the last batch). A batch statement is
// ctes + "<work> AS (... WHERE in_range ...)" + "SELECT (SELECT count(*) FROM <work>), next_cursor".
struct KeysetRange {
	std::string ctes;
	std::string in_range;
	std::string next_cursor;
};
KeysetRange keyset_range(const std::string &table, const json &catalog, const std::vector<std::string> &key);

}  // namespace pgshift
