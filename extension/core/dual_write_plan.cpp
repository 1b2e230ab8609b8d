#include "core/dual_write_plan.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

DualWritePlan::Table &DualWritePlan::table(const VirtualTable &virt)
{
	for (auto &table : tables_)
		if (table.physical == virt.physical)
			return table;
	tables_.push_back(Table{virt.physical, virt.catalog, virt.partition_catalogs, {}, ""});
	return tables_.back();
}

void DualWritePlan::add(const VirtualTable &virt, ColumnAssignment assignment)
{
	table(virt).assignments.push_back(std::move(assignment));
}

ColumnAssignment *DualWritePlan::find(const VirtualTable &virt, const std::string &direction,
                                      const std::string &target)
{
	for (auto &assignment : table(virt).assignments)
		if (assignment.direction == direction &&
		    (direction == "up" ? assignment.target == target : assignment.pair == target))
			return &assignment;
	return nullptr;
}

void DualWritePlan::backfill(const VirtualTable &virt, const std::string &touch_column)
{
	Table &entry = table(virt);
	if (virt.rebuilt)
		entry.filled_by_copy = true;
	else if (entry.touch_column.empty())
		entry.touch_column = touch_column;
}

std::vector<std::string> DualWritePlan::tables() const
{
	std::vector<std::string> names;
	for (const auto &table : tables_)
		names.push_back(table.physical);
	return names;
}

void DualWritePlan::check_supported() const
{
	const std::string next_step =
	    "Make this change with a raw \"sql\" operation (it runs in start's transaction, holding the table's locks), "
	    "or on a table without them.";
	for (const auto &table : tables_) {
		if (!table.catalog.is_object())
			continue;   // new in this migration
		auto refuse = [&](const std::string &why) {
			throw Error(sqlstate::feature_not_supported,
			            "table \"" + table.physical + "\" " + why +
			                ": pgshift cannot keep its two versions in step with a row trigger and a backfill",
			            next_step);
		};
		for (const auto &partition : table.partition_catalogs)
			if (partition.value("partitioned", false))
				refuse("has a partition that is partitioned itself (\"" + partition.value("name", "") + "\")");
		if (table.catalog.contains("partitionOf"))
			refuse("is a partition of \"" + table.catalog["partitionOf"].get<std::string>() + "\"");
		if (table.catalog.value("inheritedBy", false))
			refuse("has inheritance children");
		if (table.catalog.value("inheritsFrom", false))
			refuse("inherits from another table");
		if (table.catalog.value("hasRules", false))
			refuse("has rules (they would rewrite the backfill's updates)");
	}
}

bool DualWritePlan::has_backfill() const
{
	for (const auto &table : tables_)
		if (!table.touch_column.empty() || table.filled_by_copy)
			return true;
	return false;
}

void DualWritePlan::emit(const std::string &schema, const std::string &new_version,
                         const std::string &previous_version, const std::string &pending_version,
                         std::vector<Statement> &start, std::vector<Statement> &drops, json &jobs) const
{
	const bool opens_later = !pending_version.empty();
	for (const auto &table : tables_) {
		std::string qualified = quote_qualified(schema, table.physical);
		if (!table.assignments.empty()) {
			json assignments = json::array();
			for (const auto &a : table.assignments)
				assignments.push_back(json{{"direction", a.direction}, {"target", a.target},
				                           {"expression", a.expression}, {"columns", a.columns}});
			json config{{"schema", schema}, {"new_version", new_version},
			            {"old_version", previous_version.empty() ? json() : json(previous_version)},
			            {"pending_version", opens_later ? json(pending_version) : json()},
			            {"assignments", assignments}};
			start.push_back("CREATE TRIGGER " + quote_ident(dual_write_trigger_name) + " BEFORE INSERT OR UPDATE ON " +
			                qualified + " FOR EACH ROW EXECUTE FUNCTION pgshift.dual_write(" +
			                quote_literal(config.dump()) + ")");
			// It fires for every write, a replication session's too: the two versions must never part.
			start.push_back("ALTER TABLE " + qualified + " ENABLE ALWAYS TRIGGER " + quote_ident(dual_write_trigger_name));
			start.push_back("SELECT pgshift._check_dual_write(" + quote_literal(qualified) + "::pg_catalog.regclass)");
			drops.push_back("DROP TRIGGER IF EXISTS " + quote_ident(dual_write_trigger_name) + " ON " + qualified);
		}
		if (table.touch_column.empty())
			continue;
		// A partitioned table holds no rows itself: each partition is backfilled on its own, by its
		// own key (every partition has the parent's) or its blocks. The trigger on the parent is on
		// every partition too (PostgreSQL clones it), a partition attached later included.
		if (table.catalog.value("partitioned", false)) {
			for (const auto &partition : table.partition_catalogs) {
				const std::string name = partition.at("name").get<std::string>();
				jobs.push_back(json{{"kind", "backfill"},
				                    {"table", name},
				                    {"statement", backfill_batch_sql(schema, name, partition, table.touch_column)}});
			}
			continue;
		}
		jobs.push_back(json{{"kind", "backfill"},
		                    {"table", table.physical},
		                    {"statement", backfill_batch_sql(schema, table.physical, table.catalog, table.touch_column)}});
	}
}

namespace {

// The columns of the primary key, else of one unique NOT NULL column: what keyset batches walk.
std::vector<std::string> batch_key(const json &catalog)
{
	std::vector<std::string> key;
	if (catalog.is_object())
		for (const auto &column : catalog.value("primaryKey", json::array()))
			key.push_back(column.get<std::string>());
	if (!key.empty() || !catalog.is_object())
		return key;
	for (const auto &column : catalog.value("columns", json::object()))
		if (column.value("unique", false) && !column.value("nullable", true) && !column.contains("generated")) {
			key.push_back(column["name"].get<std::string>());
			break;
		}
	return key;
}

std::string column_type(const json &catalog, const std::string &column)
{
	return catalog["columns"][column].value("type", "text");
}

std::string keyset_batch_sql(const std::string &table, const json &catalog, const std::vector<std::string> &key,
                             const std::string &touch)
{
	// The batch is a key range (cursor, bound] (see keyset_range). One index range scan then updates
	// the range, locking each row as it goes, in key order; rows written meanwhile went through the
	// trigger already, so the range may gain or lose rows without harm. The no-op update fires the
	// dual-write trigger, which computes the new columns.
	const KeysetRange range = keyset_range(table, catalog, key);
	return range.ctes + "updated AS (UPDATE " + table + " _pgshift_t SET " + quote_ident(touch) + " = _pgshift_t." +
	       quote_ident(touch) + " WHERE " + range.in_range + " RETURNING 1)\n" +
	       "SELECT (SELECT pg_catalog.count(*)::bigint FROM updated), " + range.next_cursor;
}

std::string block_range_batch_sql(const std::string &table, const std::string &touch)
{
	// Cursor: [next block, end block, file node]. The end is the table's size when the backfill
	// began: rows that updates move past it were written through the trigger, as were rows added
	// since. Only a rewrite of the whole table (VACUUM FULL, CLUSTER, pg_repack, a table-rewriting
	// ALTER) moves rows without it, and a rewrite gives the table a new file node: the backfill then
	// starts again from the first block of the new file, so no row is missed.
	// The range's ends are computed once, in CTEs that the UPDATE reads as subqueries: a bound that
	// calls a volatile function (pg_relation_size) in the WHERE clause itself would not be a TID range
	// condition but a filter, and every batch would read the table to its end.
	std::string relation = quote_literal(table) + "::pg_catalog.regclass";
	std::string same_file = "(($1)[3]::pg_catalog.oid IS NOT DISTINCT FROM pg_catalog.pg_relation_filenode(" + relation + "))";
	std::string first = "CASE WHEN " + same_file + " THEN coalesce(($1)[1]::bigint, 0) ELSE 0 END";
	std::string last = "CASE WHEN " + same_file + " THEN ($1)[2]::bigint ELSE pg_catalog.pg_relation_size(" + relation +
	                   ") / pg_catalog.current_setting('block_size')::bigint END";
	// Rows per block from the statistics; a table never analyzed (reltuples -1) counts 50.
	std::string blocks = "greatest(1, $2 / greatest(1, (SELECT CASE WHEN c.reltuples < 0 THEN 50 ELSE c.reltuples / "
	                     "greatest(c.relpages, 1) END FROM pg_catalog.pg_class c WHERE c.oid = " + relation + ")))::bigint";
	return "WITH bounds AS MATERIALIZED (SELECT " + first + " AS first_block, " + last + " AS last_block),\n" +
	       "span AS MATERIALIZED (SELECT first_block, least(first_block + " + blocks +
	       ", last_block) AS stop_block, last_block FROM bounds),\n" +
	       "updated AS (UPDATE " + table + " _pgshift_t SET " + quote_ident(touch) + " = _pgshift_t." + quote_ident(touch) +
	       " WHERE ctid >= (SELECT pg_catalog.format('(%s,0)', first_block)::pg_catalog.tid FROM span)"
	       " AND ctid < (SELECT pg_catalog.format('(%s,0)', stop_block)::pg_catalog.tid FROM span) RETURNING 1)\n"
	       "SELECT (SELECT pg_catalog.count(*)::bigint FROM updated), (SELECT CASE WHEN first_block >= last_block THEN NULL "
	       "ELSE ARRAY[stop_block::text, last_block::text, pg_catalog.pg_relation_filenode(" + relation +
	       ")::text] END FROM span)";
}

}  // namespace

KeysetRange keyset_range(const std::string &table, const json &catalog, const std::vector<std::string> &key)
{
	const std::size_t n = key.size();
	std::string columns, typed_cursor, descending, stop_columns, bound_row, stop_row, cursor_out, stop_out;
	for (std::size_t i = 0; i < n; i++) {
		std::string sep = i == 0 ? "" : ", ";
		std::string column = quote_ident(key[i]);
		std::string type = column_type(catalog, key[i]);
		columns += sep + column;
		typed_cursor += sep + "($1)[" + std::to_string(i + 1) + "]::" + type;
		descending += sep + column + " DESC";
		stop_columns += sep + "CASE WHEN $1 IS NULL THEN (SELECT " + column + " FROM last) ELSE ($1)[" +
		                std::to_string(n + i + 1) + "]::" + type + " END AS " + column;
		bound_row += sep + "(SELECT " + column + " FROM bound)";
		stop_row += sep + "(SELECT " + column + " FROM stop)";
		cursor_out += sep + column + "::pg_catalog.text";
		stop_out += ", (SELECT " + column + "::pg_catalog.text FROM stop)";
	}
	std::string after_cursor = "($1 IS NULL OR (" + columns + ") > (" + typed_cursor + "))";
	// Bound is the key $2 rows on, or the stop key when fewer remain (then the batch is the last
	// one). The stop key is the table's last key when the first batch ran, carried in the cursor
	// after the key: every row that needs the batch was there when start committed (start's ACCESS
	// EXCLUSIVE lock waited for every transaction that had written the table), and every row written
	// since, whatever its key, went through the trigger; so the batches do not chase the rows an
	// application keeps inserting. The cursor is the keys as text, which the worker's fixed settings
	// make exact for every type (pg/worker_settings.hpp).
	KeysetRange range;
	range.ctes = "WITH last AS MATERIALIZED (SELECT " + columns + " FROM " + table + " WHERE $1 IS NULL ORDER BY " +
	             descending + " LIMIT 1),\n" + "stop AS MATERIALIZED (SELECT " + stop_columns + "),\n" +
	             "bound AS MATERIALIZED ((SELECT " + columns + ", false AS at_end FROM " + table + " WHERE " + after_cursor +
	             " AND (" + columns + ") <= (" + stop_row + ") ORDER BY " + columns + " OFFSET $2 - 1 LIMIT 1)\n" +
	             "  UNION ALL (SELECT " + columns + ", true FROM stop) LIMIT 1),\n";
	range.in_range = after_cursor + " AND (" + columns + ") <= (" + bound_row + ")";
	range.next_cursor = "(SELECT CASE WHEN NOT at_end THEN ARRAY[" + cursor_out + stop_out + "] END FROM bound)";
	return range;
}

std::string backfill_batch_sql(const std::string &schema, const std::string &table, const json &catalog,
                               const std::string &touch_column)
{
	std::string qualified = quote_qualified(schema, table);
	std::vector<std::string> key = batch_key(catalog);
	if (key.empty())
		return block_range_batch_sql(qualified, touch_column);
	return keyset_batch_sql(qualified, catalog, key, touch_column);
}

}  // namespace pgshift
