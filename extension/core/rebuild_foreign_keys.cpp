#include "core/rebuild_foreign_keys.hpp"

#include <set>

#include "core/error.hpp"
#include "core/partition_sql.hpp"
#include "core/pinned_block.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

std::set<std::string> column_set(const json &columns)
{
	std::set<std::string> names;
	for (const auto &column : columns)
		names.insert(column.get<std::string>());
	return names;
}

// Whether the rebuild has a unique constraint on exactly `columns`: its key, or a unique constraint
// or plain unique index of the table, which _rebuild_prepare carries over.
bool unique_on_rebuild(const VirtualTable &table, const std::vector<std::string> &new_key, const std::set<std::string> &columns)
{
	if (std::set<std::string>(new_key.begin(), new_key.end()) == columns)
		return true;
	for (const auto &unique : table.catalog.value("uniqueConstraints", json::object()))
		if (column_set(unique.value("columns", json::array())) == columns)
			return true;
	for (const auto &index : table.catalog.value("indexes", json::object()))
		if (index.value("unique", false) && !index.value("primary", false) && !index.contains("predicate") &&
		    column_set(index.value("columns", json::array())) == columns)
			return true;
	return false;
}

[[noreturn]] void refuse(const VirtualTable &table, const ReferencingKey &key, const std::string &why,
                         const std::string &hint)
{
	throw Error(sqlstate::feature_not_supported,
	            "table \"" + table.name + "\" is referenced by foreign key \"" + key.name + "\" of table \"" + key.table +
	                "\", " + why + ": pgshift cannot rebuild it yet",
	            hint);
}

// The copy's name on the referencing table until complete gives it the original's.
std::string stand_in(const std::string &name)
{
	return partition_index_name("_pgshift_rb", name);
}

// A key made NOT VALID and never validated (read_schema() prints it so) gets a copy NOT VALID too:
// rows it lets through would fail the copy's VALIDATE.
bool not_valid(const ReferencingKey &key)
{
	const std::string definition = key.catalog.value("definition", "");
	const std::string suffix = " NOT VALID";
	return definition.size() >= suffix.size() && definition.compare(definition.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string copy_definition(const ReferencingKey &key, const std::string &new_qualified)
{
	const json &fk = key.catalog;
	std::string sql = "FOREIGN KEY (" + quote_ident_list(fk.at("columns").get<std::vector<std::string>>()) +
	                  ") REFERENCES " + new_qualified + " (" +
	                  quote_ident_list(fk.at("referencedColumns").get<std::vector<std::string>>()) + ")";
	if (fk.value("matchType", "SIMPLE") == "FULL")
		sql += " MATCH FULL";
	for (const auto &[field, clause] : {std::pair{"onDelete", " ON DELETE "}, std::pair{"onUpdate", " ON UPDATE "}}) {
		const std::string action = fk.value(field, "NO ACTION");
		if (action != "NO ACTION")
			sql += clause + action;
	}
	if (fk.value("deferrable", false))
		sql += fk.value("initiallyDeferred", false) ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
	return sql;
}

}  // namespace

std::vector<ReferencingKey> keys_referencing(const VirtualTable &table, const std::vector<std::string> &new_key,
                                             const PlanningContext &context)
{
	std::vector<ReferencingKey> keys;
	for (const auto &other : context.before.tables())
		for (const auto &fk : other.catalog.value("foreignKeys", json::object())) {
			if (fk.value("referencedTable", "") != table.physical)
				continue;
			ReferencingKey key{other.physical, fk.value("name", ""), fk};
			const std::string keep = "Drop the foreign key for the migration and add it again after complete.";
			if (other.physical == table.physical)
				refuse(table, key, "a key of its own", keep);
			if (other.partitioned)
				refuse(table, key, "a partitioned table (PostgreSQL 15 adds no foreign key to one NOT VALID)", keep);
			for (const auto &maybe_rebuilt : context.virt.tables())
				if (maybe_rebuilt.rebuilt && maybe_rebuilt.catalog.value("name", "") == other.physical)
					refuse(table, key, "which this migration rebuilds too", "Rebuild them in two migrations.");
			const std::string definition = fk.value("definition", "");
			if (definition.find("SET NULL (") != std::string::npos || definition.find("SET DEFAULT (") != std::string::npos)
				refuse(table, key, "with a column list on its ON DELETE action", keep);
			if (!unique_on_rebuild(table, new_key, column_set(fk.value("referencedColumns", json::array()))))
				refuse(table, key,
				       "on columns the rebuilt table keeps no unique constraint on (its key is (" +
				           quote_ident_list(new_key) + "))",
				       "Point the foreign key at columns the rebuilt table keeps unique (on a partitioned table, "
				       "ones that contain the partition key), in an earlier migration.");
			keys.push_back(std::move(key));
		}
	return keys;
}

void plan_referencing_keys(const std::vector<ReferencingKey> &keys, const std::string &old_qualified,
                           const std::string &new_qualified, const PlanningContext &context, OperationPlan &plan)
{
	if (keys.empty())
		return;
	// Complete: the referencing tables first (their writers lock them before the table, for the
	// key's check), then the rebuild and the table in the order the swap takes them; then each
	// key's original goes (the table could not be dropped with it) and its copy takes the name. A
	// key gone meanwhile (its column dropped) is left alone.
	std::string lock = "LOCK TABLE ";
	for (const auto &key : keys)
		lock += quote_qualified(context.schema, key.table) + ", ";
	plan.complete.push_back(lock + new_qualified + ", " + old_qualified + " IN ACCESS EXCLUSIVE MODE");
	for (const auto &key : keys) {
		const std::string referencing = quote_qualified(context.schema, key.table);
		const std::string alter = "ALTER TABLE " + referencing + " ";
		const std::string copy = quote_ident(stand_in(key.name));
		const std::string copy_exists = "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = " +
		                                quote_literal(referencing) + "::pg_catalog.regclass AND conname = " +
		                                quote_literal(stand_in(key.name)) + ")";
		// After the copy of the rows. ADD ... NOT VALID is a catalog change, but its SHARE ROW
		// EXCLUSIVE locks (the referencing table and the rebuild, which every old-version write
		// reaches through the mirror) would queue the application behind any long transaction: it
		// waits 100 ms at most, and the worker tries again. The retry's cleanup drops a copy left by
		// an attempt that failed after it, and takes no lock when there is none. VALIDATE reads the
		// referencing table under SHARE UPDATE EXCLUSIVE, which no write waits for; a key that was
		// NOT VALID stays so.
		plan.after_backfill.push_back(
		    {pinned_do_block("", "        PERFORM pg_catalog.set_config('lock_timeout', '100ms', true);\n"
		                         "        EXECUTE " +
		                             quote_literal(alter + "ADD CONSTRAINT " + copy + " " +
		                                           copy_definition(key, new_qualified) + " NOT VALID") +
		                             ";"),
		     pinned_do_block("", "        IF " + copy_exists + " THEN\n"
		                         "            PERFORM pg_catalog.set_config('lock_timeout', '100ms', true);\n"
		                         "            EXECUTE " +
		                             quote_literal(alter + "DROP CONSTRAINT IF EXISTS " + copy) + ";\n        END IF;")});
		if (!not_valid(key))
			plan.after_backfill.push_back({alter + "VALIDATE CONSTRAINT " + copy, ""});
		plan.complete.push_back(pinned_do_block(
		    "", "        IF " + copy_exists + " THEN\n"
		            "            EXECUTE " + quote_literal(alter + "DROP CONSTRAINT IF EXISTS " + quote_ident(key.name)) + ";\n"
		            "            EXECUTE " + quote_literal(alter + "RENAME CONSTRAINT " + copy + " TO " + quote_ident(key.name)) +
		            ";\n"
		            "        END IF;"));
		plan.rollback.push_back(alter + "DROP CONSTRAINT IF EXISTS " + copy);
	}
}

void check_rebuilt_references(const PlanningContext &context)
{
	for (const auto &rebuilt : context.virt.tables()) {
		if (!rebuilt.rebuilt)
			continue;
		const std::string original = rebuilt.catalog.value("name", "");
		auto has_physical = [](const VirtualTable &table, const std::string &column) {
			for (const auto &virt : table.columns)
				if (virt.physical == column)
					return true;
			return false;
		};
		for (const auto &other : context.before.tables())
			for (const auto &fk : other.catalog.value("foreignKeys", json::object())) {
				if (fk.value("referencedTable", "") != original || other.physical == original)
					continue;
				auto refuse_later = [&](const std::string &why) {
					throw Error(sqlstate::feature_not_supported,
					            "table \"" + rebuilt.name + "\" is rebuilt by this migration, and foreign key \"" +
					                fk.value("name", "") + "\" of table \"" + other.name + "\" points at it, but " + why +
					                ": the key could not follow the table",
					            "Make that change in a migration of its own, before or after the rebuild.");
				};
				const VirtualTable *referencing = nullptr;
				for (const auto &table : context.virt.tables())
					if (table.catalog.is_object() && table.catalog.value("name", "") == other.physical)
						referencing = &table;
				if (referencing == nullptr)
					refuse_later("this migration drops or renames table \"" + other.name + "\"");
				if (referencing->rebuilt)
					refuse_later("this migration rebuilds table \"" + other.name + "\" too");
				for (const auto &column : fk.value("columns", json::array()))
					if (!has_physical(*referencing, column.get<std::string>()))
						refuse_later("this migration changes or drops its column \"" + column.get<std::string>() + "\"");
				for (const auto &column : fk.value("referencedColumns", json::array()))
					if (!has_physical(rebuilt, column.get<std::string>()))
						refuse_later("this migration changes or drops column \"" + column.get<std::string>() +
						             "\" of \"" + rebuilt.name + "\", which it references");
			}
	}
}

Statement refuse_foreign_schema_keys_sql(const std::string &old_qualified)
{
	return pinned_do_block(
	    "    other record;\n",
	    "        SELECT c.conname, c.conrelid::pg_catalog.regclass AS on_table INTO other FROM pg_catalog.pg_constraint c\n"
	    "         WHERE c.contype = 'f' AND c.confrelid = " + quote_literal(old_qualified) + "::pg_catalog.regclass\n"
	    "           AND c.connamespace <> (SELECT r.relnamespace FROM pg_catalog.pg_class r WHERE r.oid = " +
	        quote_literal(old_qualified) + "::pg_catalog.regclass)\n"
	    "         LIMIT 1;\n"
	    "        IF FOUND THEN\n"
	    "            RAISE EXCEPTION 'table % is referenced by foreign key \"%\" of table %, in another schema: pgshift cannot "
	    "rebuild it yet', " + quote_literal(old_qualified) + ", other.conname, other.on_table\n"
	    "                USING ERRCODE = '0A000', HINT = 'Drop the foreign key for the migration and add it again after complete.';\n"
	    "        END IF;");
}

}  // namespace pgshift
