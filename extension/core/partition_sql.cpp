#include "core/partition_sql.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

[[noreturn]] void refuse(const std::string &problem, const std::string &hint = {})
{
	throw Error(sqlstate::invalid_migration, problem, hint);
}

// One bound value, checked to be a lone expression over no column: it goes between the parentheses
// of FOR VALUES, where anything else would change the statement's meaning or fail much later.
std::string bound_value_sql(const json &value, bool range_end, const ExpressionParser &parser)
{
	const std::string text = value.get<std::string>();
	const std::string upper = to_upper(text);
	if (range_end && (upper == "MINVALUE" || upper == "MAXVALUE"))
		return upper;
	if (text.find_first_not_of(" \t\r\n") == std::string::npos)
		refuse("a partition bound value is empty");
	for (const auto &reference : parser.column_references(text))
		refuse("partition bound value \"" + text + "\" names column \"" + reference.name + "\"",
		       "Bound values are SQL constants, e.g. \"'active'\" for a text value or \"42\" for a number.");
	return text;
}

std::string value_list_sql(const json &values, bool range_end, const ExpressionParser &parser, const std::string &field)
{
	if (values.empty())
		refuse("partition bound \"" + field + "\" lists no value");
	std::string sql;
	for (const auto &value : values)
		sql += (sql.empty() ? "" : ", ") + bound_value_sql(value, range_end, parser);
	return "(" + sql + ")";
}

}  // namespace

std::string partition_by_sql(const json &partition_by, const VirtualTable &table)
{
	const std::string strategy = to_upper(partition_by.at("strategy").get<std::string>());
	const json &columns = partition_by.at("columns");
	if (columns.empty())
		refuse("\"partition_by\" names no column");
	if (strategy == "LIST" && columns.size() != 1)
		refuse("LIST partitioning takes exactly one column, \"partition_by\" names " + std::to_string(columns.size()),
		       "Partition by RANGE or HASH on several columns, or by LIST on one.");
	std::vector<std::string> physical;
	for (const auto &column : columns) {
		const VirtualColumn *found = table.find_column(column.get<std::string>());
		if (found == nullptr)
			throw Error(sqlstate::undefined_column, "partition key column \"" + column.get<std::string>() +
			                                            "\" is not a column of table \"" + table.name + "\"");
		physical.push_back(found->physical);
	}
	return "PARTITION BY " + strategy + " (" + quote_ident_list(physical) + ")";
}

std::string partition_bound_sql(const json &partition, const std::string &strategy, const ExpressionParser &parser)
{
	const bool by_default = partition.value("default", false), by_values = partition.contains("values"),
	           by_range = partition.contains("from") || partition.contains("to"),
	           by_hash = partition.contains("modulus") || partition.contains("remainder");
	const int kinds = int(by_default) + int(by_values) + int(by_range) + int(by_hash);
	const std::string example =
	    "A partition takes one bound: \"values\" (LIST), \"from\" and \"to\" (RANGE), \"modulus\" and \"remainder\" "
	    "(HASH), or \"default\": true.";
	if (kinds != 1)
		refuse(kinds == 0 ? "partition \"" + partition.value("name", "") + "\" has no bound"
		                  : "partition \"" + partition.value("name", "") + "\" has more than one kind of bound",
		       example);
	const std::string wanted = by_default ? "" : by_values ? "LIST" : by_range ? "RANGE" : "HASH";
	const std::string table_strategy = to_upper(strategy);
	if (!wanted.empty() && !table_strategy.empty() && wanted != table_strategy)
		refuse("partition \"" + partition.value("name", "") + "\" has a " + wanted + " bound on a table partitioned by " +
		           table_strategy,
		       example);
	if (by_default) {
		if (table_strategy == "HASH")
			refuse("a table partitioned by HASH cannot have a default partition");
		return "DEFAULT";
	}
	if (by_values)
		return "FOR VALUES IN " + value_list_sql(partition["values"], false, parser, "values");
	if (by_range) {
		if (!partition.contains("from") || !partition.contains("to"))
			refuse("a RANGE partition needs both \"from\" and \"to\"", example);
		return "FOR VALUES FROM " + value_list_sql(partition["from"], true, parser, "from") + " TO " +
		       value_list_sql(partition["to"], true, parser, "to");
	}
	if (!partition.contains("modulus") || !partition.contains("remainder"))
		refuse("a HASH partition needs both \"modulus\" and \"remainder\"", example);
	const long long modulus = partition["modulus"].get<long long>(), remainder = partition["remainder"].get<long long>();
	if (modulus < 1 || remainder < 0 || remainder >= modulus)
		refuse("a HASH partition needs a modulus of at least 1 and a remainder from 0 to modulus - 1, got modulus " +
		       std::to_string(modulus) + " and remainder " + std::to_string(remainder));
	return "FOR VALUES WITH (MODULUS " + std::to_string(modulus) + ", REMAINDER " + std::to_string(remainder) + ")";
}

std::string partition_column_outside(const json &partition_by, const std::vector<std::string> &columns)
{
	for (const auto &column : partition_by.at("columns")) {
		bool found = false;
		for (const auto &other : columns)
			found = found || other == column.get<std::string>();
		if (!found)
			return column.get<std::string>();
	}
	return "";
}

std::vector<std::string> partitions_of_sql(const json &partitions, const std::string &schema, const std::string &parent,
                                           const std::string &strategy, const ExpressionParser &parser,
                                           std::set<std::string> taken, VirtualSchema *existing)
{
	std::vector<std::string> statements;
	for (std::size_t i = 0; i < partitions.size(); i++) {
		const std::string name = partitions[i].at("name").get<std::string>();
		check_identifier(name, "partition name");
		if (!taken.insert(name).second)
			throw Error(sqlstate::duplicate_table, "partitions[" + std::to_string(i) + "]: table \"" + name +
			                                           "\" is defined more than once in this operation");
		if (existing != nullptr && existing->find_table(name) != nullptr)
			throw Error(sqlstate::duplicate_table, "partitions[" + std::to_string(i) + "]: table \"" + name +
			                                           "\" already exists in schema \"" + schema + "\"");
		statements.push_back("CREATE TABLE " + quote_qualified(schema, name) + " PARTITION OF " +
		                     quote_qualified(schema, parent) + " " + partition_bound_sql(partitions[i], strategy, parser));
	}
	return statements;
}

std::string partition_index_name(const std::string &partition, const std::string &index)
{
	const std::string whole = partition + "_" + index;
	constexpr std::size_t max_bytes = 63;
	if (whole.size() <= max_bytes)
		return whole;
	std::uint32_t hash = 2166136261u;   // FNV-1a: stable across builds and platforms
	for (unsigned char c : whole)
		hash = (hash ^ c) * 16777619u;
	char suffix[10];
	std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(hash));
	std::string head = whole.substr(0, max_bytes - 9);
	while (!head.empty() && (static_cast<unsigned char>(head.back()) & 0xC0) == 0x80)
		head.pop_back();   // never cut a UTF-8 character in two
	if (!head.empty() && (static_cast<unsigned char>(head.back()) & 0x80) != 0)
		head.pop_back();   // ... nor leave its lead byte alone
	return head + suffix;
}

}  // namespace pgshift
