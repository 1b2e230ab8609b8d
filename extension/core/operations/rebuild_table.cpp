// rebuild_table (pgshift's extension of the format): the table moves to a new physical table of
// another shape (partitioned, another primary key) while both versions live.
//
// At start the rebuild "_pgshift_rebuild_<table>" is made LIKE the table, with its partitions; the
// rest of what the table has (key, constraints, indexes, privileges, owner) comes from
// pgshift._rebuild_prepare, built on the empty table, so no long lock. A pgshift.rebuild_sync()
// trigger on each table makes every write on the other one too, and the worker copies the rows in
// key ranges (the copy batch locks what it reads FOR SHARE: a write to those rows waits for the
// batch, or the batch for it, and then reads the row again, so it never copies a row deleted or
// changed since its snapshot). The new version's views read and write the rebuild, the old
// version's the table.
//
// At complete pgshift._rebuild_swap hands the table's sequences to the rebuild, drops the table and
// gives the rebuild's constraints and indexes their names; the final table renames give it the
// table's. Rollback drops the rebuild and the table's trigger: the table is as it was.
//
// Column and index operations later in the migration change the rebuild (existing_table's
// OnRebuilt::change_the_rebuild): while it is empty at start a column is added to it, a twin column
// with its dual-write trigger (the copy's inserts fire it, so no backfill of its own), an index
// built plainly; renames and drops are the new version's until complete, which makes them on the
// rebuild after the swap. Both tables keep the old table's stored columns in step, which is what
// the mirror triggers carry. Any other operation on the table is refused, and so is a rebuild of a
// table an earlier operation changed (the rebuild is made LIKE the table as it is on disk).

#include "core/dual_write_plan.hpp"
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/partition_sql.hpp"
#include "core/rebuild_foreign_keys.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

[[noreturn]] void refuse(const std::string &table, const std::string &why, const std::string &hint = {})
{
	throw Error(sqlstate::feature_not_supported, "table \"" + table + "\" " + why + ": pgshift cannot rebuild it yet",
	            hint.empty() ? "Rebuild it in a migration of its own, or change it with a raw \"sql\" operation." : hint);
}

// What the rebuild cannot carry over yet, from the table's read_schema() entry (the foreign keys
// that point at it: rebuild_foreign_keys.hpp).
void check_rebuildable(const VirtualTable &table, const PlanningContext &context)
{
	const json &catalog = table.catalog;
	if (!catalog.is_object())
		refuse(table.name, "is made by this migration", "Create it with its final shape instead.");
	if (table.partitioned || catalog.contains("partitionOf") || catalog.value("inheritsFrom", false) ||
	    catalog.value("inheritedBy", false))
		refuse(table.name, "is partitioned or part of an inheritance tree");
	if (catalog.value("hasRules", false))
		refuse(table.name, "has rules");
	for (const auto &column : catalog.value("columns", json::object()))
		if (!column.value("identity", "").empty())
			refuse(table.name, "has an identity column (\"" + column.value("name", "") + "\")");
	// Untouched by the migration so far: the rebuild is made LIKE the table as it is on disk.
	const std::string put_first = "Put rebuild_table before the migration's other operations on the table: they then "
	                              "change the rebuild.";
	for (const auto &index : catalog.value("indexes", json::object()))
		if (!context.virt.has_index(index.value("name", "")))
			refuse(table.name, "has index \"" + index.value("name", "") + "\" dropped by an earlier operation of this migration",
			       put_first);
	for (const auto &name : context.dual_writes.tables())
		if (name == table.physical)
			refuse(table.name, "is changed by an earlier operation of this migration", put_first);
	if (!table.new_indexes.empty())
		refuse(table.name, "gets an index from an earlier operation of this migration", put_first);
	if (table.columns.size() != catalog.value("columns", json::object()).size())
		refuse(table.name, "has columns added or dropped by an earlier operation of this migration", put_first);
	for (const auto &column : table.columns)
		if (column.physical != column.name)
			refuse(table.name, "has a column renamed by an earlier operation of this migration", put_first);
	if (context.touched_tables.count(table.name) > 0)
		refuse(table.name, "is changed by an earlier operation of this migration", put_first);
}

// Unique indexes and constraints must contain the partition key on a partitioned table.
void check_unique_covers_partitioning(const VirtualTable &table, const json &partition_by)
{
	for (const auto &index : table.catalog.value("indexes", json::object())) {
		if (!index.value("unique", false) || index.value("primary", false))
			continue;
		const std::string missing =
		    partition_column_outside(partition_by, index.value("columns", json::array()).get<std::vector<std::string>>());
		if (!missing.empty())
			throw Error(sqlstate::invalid_migration,
			            "unique index \"" + index.value("name", "") + "\" of table \"" + table.name +
			                "\" does not contain partition key column \"" + missing + "\"",
			            "PostgreSQL enforces uniqueness partition by partition: drop the index or add the column to it "
			            "in an earlier migration.");
	}
}

// One copy batch ($1 cursor, $2 batch size -> rows copied, next cursor), in the shape of every
// backfill batch (keyset_range, dual_write_plan.hpp): a key range of the old table, its rows read
// FOR SHARE and inserted into the rebuild unless a write through the trigger put them there first.
std::string copy_batch_sql(const std::string &old_table, const std::string &new_table, const json &catalog,
                           const std::vector<std::string> &old_key, const std::vector<std::string> &new_key,
                           const std::vector<std::string> &columns)
{
	const KeysetRange range = keyset_range(old_table, catalog, old_key);
	const std::string column_list = quote_ident_list(columns);
	return range.ctes + "copied AS (INSERT INTO " + new_table + " (" + column_list + ") SELECT " + column_list + " FROM " +
	       old_table + " _pgshift_t WHERE " + range.in_range + " FOR SHARE ON CONFLICT (" + quote_ident_list(new_key) +
	       ") DO NOTHING RETURNING 1)\n" + "SELECT (SELECT pg_catalog.count(*)::bigint FROM copied), " + range.next_cursor;
}

// The mirror trigger on `on_table` (see pg/rebuild_sync_trigger.cpp): AFTER each row written, unless
// it is the other table's mirror write or the copy; `insert_missing` on the old table's.
std::string sync_trigger_sql(const std::string &on_table, const std::string &other_table, bool insert_missing,
                             const std::vector<std::string> &other_key, const std::vector<std::string> &columns)
{
	std::string arguments = quote_literal(other_table) + ", " +
	                        quote_literal(insert_missing ? "insert-missing" : "ignore-missing") + ", " +
	                        quote_literal(std::to_string(other_key.size()));
	for (const auto &column : other_key)
		arguments += ", " + quote_literal(column);
	for (const auto &column : columns)
		arguments += ", " + quote_literal(column);
	return "CREATE TRIGGER \"~pgshift_rebuild_sync\" AFTER INSERT OR UPDATE OR DELETE ON " + on_table +
	       " FOR EACH ROW WHEN (pgshift._rebuild_sync_wanted()) EXECUTE FUNCTION pgshift.rebuild_sync(" + arguments + ")";
}

}  // namespace

void plan_rebuild_table(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	check_rebuildable(table, context);
	const std::vector<std::string> old_key = table.primary_key;
	if (old_key.empty())
		refuse(table.name, "has no primary key", "Give it one first: the rebuild is copied and kept in step by key.");
	std::vector<std::string> new_key = old_key;
	if (body.contains("primary_key")) {
		new_key.clear();
		for (const auto &column : body["primary_key"]) {
			if (table.find_column(column.get<std::string>()) == nullptr)
				throw Error(sqlstate::undefined_column, "primary key column \"" + column.get<std::string>() +
				                                            "\" is not a column of table \"" + table.name + "\"");
			new_key.push_back(column.get<std::string>());
		}
		if (new_key.empty())
			throw Error(sqlstate::invalid_migration, "\"primary_key\" names no column");
	}
	// The new key must contain the old one: then the rows the old key tells apart stay apart (the
	// copy's ON CONFLICT DO NOTHING would otherwise drop the second of two rows with the same new
	// key), and its other columns must be NOT NULL already (a key is).
	for (const auto &column : old_key) {
		bool kept = false;
		for (const auto &key : new_key)
			kept = kept || key == column;
		if (!kept)
			throw Error(sqlstate::invalid_migration,
			            "the rebuilt table's primary key must contain the table's key column \"" + column + "\"",
			            "Rows are copied and kept in step by key: add the column to \"primary_key\", e.g. [\"name\", \"id\"].");
	}
	for (const auto &column : new_key)
		if (table.find_column(column)->nullable)
			throw Error(sqlstate::invalid_migration,
			            "primary key column \"" + column + "\" of the rebuilt table may be NULL in table \"" + table.name + "\"",
			            "Make it NOT NULL first (alter_column with \"nullable\": false), in an earlier migration.");

	const std::vector<ReferencingKey> referencing = keys_referencing(table, new_key, context);

	const std::string rebuilt = std::string(internal_prefix) + "rebuild_" + table.physical;
	check_identifier(rebuilt, "table name with pgshift's prefix");
	const std::string old_qualified = quote_qualified(context.schema, table.physical);
	const std::string new_qualified = quote_qualified(context.schema, rebuilt);

	std::string create = "CREATE TABLE " + new_qualified + " (LIKE " + old_qualified +
	                     " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE"
	                     " INCLUDING COMPRESSION INCLUDING COMMENTS)";
	std::vector<std::string> partitions;
	if (body.contains("partition_by")) {
		const std::string missing = partition_column_outside(body["partition_by"], new_key);
		if (!missing.empty())
			throw Error(sqlstate::invalid_migration,
			            "the primary key of the rebuilt table \"" + table.name + "\" must include partition key column \"" +
			                missing + "\"",
			            "Give \"primary_key\" the partition key's columns too, e.g. [\"name\", \"id\"].");
		check_unique_covers_partitioning(table, body["partition_by"]);
		create += " " + partition_by_sql(body["partition_by"], table);
		partitions = partitions_of_sql(body.value("partitions", json::array()), context.schema, rebuilt,
		                               body["partition_by"]["strategy"].get<std::string>(), context.parser, {},
		                               &context.virt);
	} else if (body.contains("partitions")) {
		throw Error(sqlstate::invalid_migration, "\"partitions\" given without \"partition_by\"");
	}

	// Every stored column is carried (a generated one is computed by each table itself).
	std::vector<std::string> columns;
	for (const auto &column : table.columns)
		if (!table.catalog["columns"][column.physical].contains("generated"))
			columns.push_back(column.physical);

	std::string key_array = "ARRAY[";
	for (std::size_t i = 0; i < new_key.size(); i++)
		key_array += (i == 0 ? "" : ", ") + quote_literal(new_key[i]);
	key_array += "]::pg_catalog.name[]";

	plan.start.push_back(refuse_foreign_schema_keys_sql(old_qualified));
	plan.start.push_back(create);
	for (const auto &partition : partitions)
		plan.start.push_back(partition);
	plan.start.push_back("SELECT pgshift._rebuild_prepare(" + quote_literal(old_qualified) + "::pg_catalog.regclass, " +
	                     quote_literal(new_qualified) + "::pg_catalog.regclass, " + key_array + ")");
	for (const auto &[on, other, insert_missing, key] : {std::tuple{old_qualified, new_qualified, true, new_key},
	                                                     std::tuple{new_qualified, old_qualified, false, old_key}}) {
		plan.start.push_back(sync_trigger_sql(on, other, insert_missing, key, columns));
		plan.start.push_back("CREATE TRIGGER \"~pgshift_rebuild_truncate\" BEFORE TRUNCATE ON " + on +
		                     " FOR EACH STATEMENT EXECUTE FUNCTION pgshift.rebuild_sync()");
		// Every write, a replication session's too, must reach both tables.
		plan.start.push_back("ALTER TABLE " + on + " ENABLE ALWAYS TRIGGER \"~pgshift_rebuild_sync\"");
		plan.start.push_back("ALTER TABLE " + on + " ENABLE ALWAYS TRIGGER \"~pgshift_rebuild_truncate\"");
	}
	// TRUNCATE of one of the rebuild's partitions would empty it alone (statement triggers are not
	// cloned onto partitions); _rebuild_swap drops these at complete.
	for (const auto &partition : body.value("partitions", json::array())) {
		const std::string qualified = quote_qualified(context.schema, partition.at("name").get<std::string>());
		plan.start.push_back("CREATE TRIGGER \"~pgshift_rebuild_truncate\" BEFORE TRUNCATE ON " + qualified +
		                     " FOR EACH STATEMENT EXECUTE FUNCTION pgshift.rebuild_sync()");
		plan.start.push_back("ALTER TABLE " + qualified + " ENABLE ALWAYS TRIGGER \"~pgshift_rebuild_truncate\"");
	}
	plan.rebuild_jobs.push_back(json{{"kind", "backfill"},
	                                 {"table", table.physical},
	                                 {"statement", copy_batch_sql(old_qualified, new_qualified, table.catalog, old_key,
	                                                              new_key, columns)}});
	// The foreign keys pointing at the table follow it to the rebuild (before the swap, which drops
	// the table, and before rollback drops the rebuild).
	plan_referencing_keys(referencing, old_qualified, new_qualified, context, plan);
	plan.complete.push_back("SELECT pgshift._rebuild_swap(" + quote_literal(old_qualified) + "::pg_catalog.regclass, " +
	                        quote_literal(new_qualified) + "::pg_catalog.regclass)");
	plan.rollback.push_back("DROP TRIGGER IF EXISTS \"~pgshift_rebuild_sync\" ON " + old_qualified);
	plan.rollback.push_back("DROP TRIGGER IF EXISTS \"~pgshift_rebuild_truncate\" ON " + old_qualified);
	plan.rollback.push_back("DROP TABLE IF EXISTS " + new_qualified);

	table.physical = rebuilt;   // the new version's views read and write the rebuild
	table.primary_key = new_key;
	table.rebuilt = true;
	table.partitioned = body.contains("partition_by");
	table.partitions.clear();
	for (const auto &partition : body.value("partitions", json::array()))
		table.partitions.push_back(partition.at("name").get<std::string>());
}

}  // namespace pgshift
