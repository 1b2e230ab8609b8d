#include "core/primary_key_swap.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/pinned_block.hpp"
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

std::string column_list(const std::vector<std::string> &columns)
{
	std::string list;
	for (const auto &column : columns)
		list += (list.empty() ? "" : ", ") + quote_ident(column);
	return list;
}

std::string internal_name(const std::string &name)
{
	std::string internal = std::string(internal_prefix) + "dup_" + name;
	check_identifier(internal, "name of the copy of \"" + name + "\"");
	return internal;
}

// What follows the referenced column list of a foreign key's definition: MATCH, ON DELETE/UPDATE,
// DEFERRABLE. ("FOREIGN KEY (a) REFERENCES s.t(id) ON DELETE CASCADE" -> " ON DELETE CASCADE")
std::string definition_tail(const std::string &definition)
{
	std::size_t references = definition.find(" REFERENCES ");
	std::size_t open = references == std::string::npos ? std::string::npos : definition.find('(', references);
	if (open == std::string::npos)
		return "";
	int depth = 0;
	bool quoted = false;
	for (std::size_t i = open; i < definition.size(); i++) {
		char c = definition[i];
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == '(')
			depth++;
		else if (!quoted && c == ')' && --depth == 0)
			return definition.substr(i + 1);
	}
	return "";
}

class KeySwap {
public:
	KeySwap(const std::string &schema, const VirtualSchema &virt, const VirtualTable &table, PrimaryKeySwaps &swaps)
		: schema_(schema), virt_(virt), table_(table), swaps_(swaps), qualified_(quote_qualified(schema, table.physical))
	{
		for (const auto &name : table.primary_key)
			new_columns_.push_back(table.find_column(name)->physical);
		for (const auto &column : table.catalog.value("primaryKey", json::array()))
			old_columns_.push_back(column.get<std::string>());
	}

	bool changes() const { return new_columns_ != old_columns_ && !primary_key_index(table_.catalog).empty(); }

	void plan(const VirtualSchema &before)
	{
		const std::string key = primary_key_index(table_.catalog);
		const std::string index = internal_name(key);
		swaps_.jobs.push_back({"CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(index) + " ON " + qualified_ + " (" +
		                           column_list(new_columns_) + ")",
		                       "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(schema_, index)});
		swaps_.complete.push_back("ALTER TABLE " + qualified_ + " ADD CONSTRAINT " + quote_ident(key) +
		                          " PRIMARY KEY USING INDEX " + quote_ident(index));
		for (const auto &other : before.tables())
			if (other.catalog.is_object())
				for (const auto &fk : other.catalog.value("foreignKeys", json::object()))
					if (fk.value("referencedTable", "") == table_.physical)
						repoint(other, fk);
	}

private:
	const std::string &schema_;
	const VirtualSchema &virt_;
	const VirtualTable &table_;
	PrimaryKeySwaps &swaps_;
	std::string qualified_;
	std::vector<std::string> new_columns_, old_columns_;

	[[noreturn]] void refuse(const std::string &fk, const std::string &child, const std::string &why) const
	{
		throw Error(sqlstate::feature_not_supported,
		            "the primary key of table \"" + table_.name + "\" changes, and foreign key \"" + fk + "\" of table \"" +
		                child + "\" references it: " + why,
		            "Make that change in a migration of its own, before or after this one.");
	}

	const VirtualTable *current(const std::string &physical) const
	{
		for (const auto &table : virt_.tables())
			if (table.physical == physical)
				return &table;
		return nullptr;
	}

	// The copy of the foreign key on the new key's columns, built and proved by the worker; the
	// original goes first at complete, the copy takes its name after the key is in place.
	void repoint(const VirtualTable &child_before, const json &fk)
	{
		const std::string name = fk["name"].get<std::string>();
		std::vector<std::string> referenced;
		for (const auto &column : fk.value("referencedColumns", json::array()))
			referenced.push_back(column.get<std::string>());
		bool touches_changed = false;
		for (std::size_t i = 0; i < old_columns_.size(); i++)
			if (old_columns_[i] != new_columns_[i])
				touches_changed = touches_changed ||
				                  std::find(referenced.begin(), referenced.end(), old_columns_[i]) != referenced.end();
		if (!touches_changed)
			return;   // it references a unique constraint on other columns, which stays
		if (referenced != old_columns_)
			refuse(name, child_before.name, "it references other columns than the key's, which pgshift cannot re-point");
		const VirtualTable *child = current(child_before.physical);
		if (child == nullptr)
			refuse(name, child_before.name, "this migration drops that table");
		std::vector<std::string> columns;
		for (const auto &column : fk.value("columns", json::array())) {
			const std::string physical = column.get<std::string>();
			bool still_there = false;
			for (const auto &virt_column : child->columns)
				still_there = still_there || virt_column.physical == physical;
			if (!still_there || is_internal_name(physical))
				refuse(name, child_before.name, "this migration changes or drops its column \"" + physical + "\"");
			columns.push_back(physical);
		}
		const std::string child_table = quote_qualified(schema_, child->physical);
		const std::string copy = internal_name(name);
		swaps_.jobs.push_back({"ALTER TABLE " + child_table + " ADD CONSTRAINT " + quote_ident(copy) + " FOREIGN KEY (" +
		                           column_list(columns) + ") REFERENCES " + qualified_ + " (" + column_list(new_columns_) +
		                           ")" + definition_tail(fk.value("definition", "")) + " NOT VALID",
		                       "ALTER TABLE " + child_table + " DROP CONSTRAINT IF EXISTS " + quote_ident(copy)});
		swaps_.jobs.push_back({"ALTER TABLE " + child_table + " VALIDATE CONSTRAINT " + quote_ident(copy), ""});
		swaps_.complete_first.push_back("ALTER TABLE " + child_table + " DROP CONSTRAINT " + quote_ident(name));
		swaps_.complete.push_back("ALTER TABLE " + child_table + " RENAME CONSTRAINT " + quote_ident(copy) + " TO " +
		                          quote_ident(name));
		swaps_.rollback_first.push_back("ALTER TABLE " + child_table + " DROP CONSTRAINT IF EXISTS " + quote_ident(copy));
		swaps_.repointed.push_back(json::array({child->physical, name}));
		warn_if_narrower(*child, fk, columns);
	}

	// The referencing column keeps its type: one narrower than the new key cannot hold every key.
	void warn_if_narrower(const VirtualTable &child, const json &fk, const std::vector<std::string> &columns)
	{
		for (std::size_t i = 0; i < columns.size() && i < table_.primary_key.size(); i++) {
			const VirtualColumn *key = table_.find_column(table_.primary_key[i]);
			std::string child_type;
			for (const auto &column : child.columns)
				if (column.physical == columns[i])
					child_type = column.type;
			if (child_type.empty() || child_type == key->type)
				continue;
			const std::string message = "column \"" + columns[i] + "\" of table \"" + child.name + "\" (" + child_type +
			                            ") references \"" + key->name + "\" of table \"" + table_.name + "\", which becomes " +
			                            key->type + ": foreign key \"" + fk["name"].get<std::string>() +
			                            "\" follows the key, the column keeps its type";
			swaps_.start.push_back(pinned_do_block(
			    "", "        RAISE WARNING '%', " + quote_literal(message) + " USING HINT = " +
			            quote_literal("Change the column's type in a migration of its own, so that it can hold every key.") + ";"));
		}
	}
};

}  // namespace

PrimaryKeySwaps plan_primary_key_swaps(const std::string &schema, const VirtualSchema &virt, const VirtualSchema &before)
{
	PrimaryKeySwaps swaps;
	for (const auto &table : virt.tables()) {
		if (!table.catalog.is_object() || table.primary_key.empty() || table.rebuilt)
			continue;   // new, keyless, or rebuilt: a rebuilt table's key is its rebuild's (rebuild_table.cpp)
		KeySwap swap(schema, virt, table, swaps);
		if (swap.changes())
			swap.plan(before);
	}
	return swaps;
}

}  // namespace pgshift
