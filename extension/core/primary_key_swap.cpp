#include "core/primary_key_swap.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

std::string primary_key_index(const json &catalog)
{
	for (const auto &index : catalog.value("indexes", json::object()))
		if (index.value("primary", false))
			return index["name"].get<std::string>();
	return "";
}

// The foreign keys in `before` (the schema as it was) that reference `table`'s primary key.
std::vector<std::string> referencing_foreign_keys(const VirtualSchema &before, const VirtualTable &table)
{
	std::vector<std::string> found;
	for (const auto &other : before.tables()) {
		if (!other.catalog.is_object())
			continue;
		for (const auto &fk : other.catalog.value("foreignKeys", json::object()))
			if (fk.value("referencedTable", "") == table.physical)
				found.push_back("\"" + fk["name"].get<std::string>() + "\" of table \"" + other.name + "\"");
	}
	return found;
}

}  // namespace

PrimaryKeySwaps plan_primary_key_swaps(const std::string &schema, const VirtualSchema &virt, const VirtualSchema &before)
{
	PrimaryKeySwaps swaps;
	for (const auto &table : virt.tables()) {
		if (!table.catalog.is_object() || table.primary_key.empty())
			continue;
		std::vector<std::string> physical;
		for (const auto &name : table.primary_key)
			physical.push_back(table.find_column(name)->physical);
		std::vector<std::string> old_physical;
		for (const auto &column : table.catalog.value("primaryKey", json::array()))
			old_physical.push_back(column.get<std::string>());
		if (physical == old_physical)
			continue;
		const std::string key = primary_key_index(table.catalog);
		if (key.empty())
			continue;
		auto referencing = referencing_foreign_keys(before, table);
		if (!referencing.empty())
			throw Error(sqlstate::feature_not_supported,
			            "the primary key of table \"" + table.name + "\" changes, and foreign key " + referencing.front() +
			                " references it" + (referencing.size() > 1 ? " (and " + std::to_string(referencing.size() - 1) + " more)" : ""),
			            "pgshift does not re-point foreign keys yet. Drop the foreign keys in a migration before this one "
			            "(drop_constraint) and add them again after it (create_constraint), or keep the key's type.");
		const std::string qualified = quote_qualified(schema, table.physical);
		const std::string index = std::string(internal_prefix) + "dup_" + key;
		check_identifier(index, "name of the copy of \"" + key + "\"");
		std::string columns;
		for (const auto &column : physical)
			columns += (columns.empty() ? "" : ", ") + quote_ident(column);
		swaps.jobs.push_back({"CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(index) + " ON " + qualified + " (" + columns + ")",
		                      "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(schema, index)});
		swaps.complete.push_back("ALTER TABLE " + qualified + " ADD CONSTRAINT " + quote_ident(key) +
		                         " PRIMARY KEY USING INDEX " + quote_ident(index));
	}
	return swaps;
}

}  // namespace pgshift
