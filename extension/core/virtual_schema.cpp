#include "core/virtual_schema.hpp"

#include <algorithm>

namespace pgshift {

bool is_internal_name(const std::string &name)
{
	return name.rfind(internal_prefix, 0) == 0;
}

VirtualColumn *VirtualTable::find_column(const std::string &name)
{
	for (auto &column : columns)
		if (column.name == name)
			return &column;
	return nullptr;
}

const VirtualColumn *VirtualTable::find_column(const std::string &name) const
{
	return const_cast<VirtualTable *>(this)->find_column(name);
}

json VirtualTable::column_map() const
{
	json map = json::object();
	for (const auto &[name, physical] : physical_names())
		map[name] = physical;
	return map;
}

std::map<std::string, std::string> VirtualTable::physical_names() const
{
	std::map<std::string, std::string> names;
	for (const auto &column : columns)
		names[column.name] = column.physical;
	return names;
}

namespace {

std::vector<std::string> string_list(const json &value)
{
	std::vector<std::string> list;
	if (value.is_array())
		for (const auto &item : value)
			list.push_back(item.get<std::string>());
	return list;
}

VirtualColumn column_from_catalog(const json &entry)
{
	VirtualColumn column;
	column.name = entry.at("name").get<std::string>();
	column.physical = column.name;
	column.type = entry.value("type", "");
	column.nullable = entry.value("nullable", true);
	column.unique = entry.value("unique", false);
	if (entry.contains("default") && entry["default"].is_string())
		column.default_expr = entry["default"].get<std::string>();
	return column;
}

VirtualTable table_from_catalog(const json &entry, std::set<std::string> &index_names)
{
	VirtualTable table;
	table.name = entry.at("name").get<std::string>();
	table.physical = table.name;

	// Columns in table order (read_schema keys them by name).
	std::vector<std::pair<long, VirtualColumn>> ordered;
	for (const auto &column : entry.value("columns", json::object()))
		if (!is_internal_name(column.at("name").get<std::string>()))
			ordered.emplace_back(column.value("attnum", 0L), column_from_catalog(column));
	std::stable_sort(ordered.begin(), ordered.end(),
	                 [](const auto &a, const auto &b) { return a.first < b.first; });
	for (auto &item : ordered)
		table.columns.push_back(std::move(item.second));

	table.primary_key = string_list(entry.value("primaryKey", json::array()));
	table.catalog = entry;
	for (const char *kind : {"checkConstraints", "uniqueConstraints", "excludeConstraints", "foreignKeys"})
		for (const auto &constraint : entry.value(kind, json::object()))
			table.constraint_names.insert(constraint.at("name").get<std::string>());
	for (const auto &index : entry.value("indexes", json::object())) {
		index_names.insert(index.at("name").get<std::string>());
		// A primary key constraint is named after its index.
		if (!table.primary_key.empty() && index.value("primary", false))
			table.constraint_names.insert(index.at("name").get<std::string>());
	}
	return table;
}

}  // namespace

VirtualSchema VirtualSchema::from_catalog(const json &catalog)
{
	VirtualSchema schema;
	schema.name_ = catalog.value("name", "");
	// A partition is part of its partitioned table, which the version schemas show instead.
	const json tables = catalog.value("tables", json::object());
	for (const auto &table : tables)
		if (!is_internal_name(table.at("name").get<std::string>()) && !table.contains("partitionOf"))
			schema.tables_.push_back(table_from_catalog(table, schema.index_names_));
	for (auto &table : schema.tables_) {
		table.partitioned = table.catalog.value("partitioned", false);
		for (const auto &partition : tables)
			if (partition.value("partitionOf", "") == table.physical) {
				table.partitions.push_back(partition.at("name").get<std::string>());
				table.partition_catalogs.push_back(partition);
				table.sub_partitioned = table.sub_partitioned || partition.value("partitioned", false);
			}
	}
	return schema;
}

VirtualTable *VirtualSchema::find_table(const std::string &name)
{
	for (auto &table : tables_)
		if (table.name == name)
			return &table;
	return nullptr;
}

void VirtualSchema::add_table(VirtualTable table)
{
	tables_.push_back(std::move(table));
}

void VirtualSchema::remove_table(const std::string &name)
{
	for (auto it = tables_.begin(); it != tables_.end(); ++it)
		if (it->name == name) {
			tables_.erase(it);
			return;
		}
}

}  // namespace pgshift
