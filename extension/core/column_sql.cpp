#include "core/column_sql.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

bool is_identity(const json &column)
{
	return column.contains("generated") && column["generated"].contains("identity");
}

bool has_generated_expression(const json &column)
{
	return column.contains("generated") && !column["generated"].value("expression", "").empty();
}

}  // namespace

void check_column(const json &column, const std::string &label)
{
	auto fail = [&](const std::string &problem) { throw Error(sqlstate::invalid_migration, label + ": " + problem); };
	const std::string name = column.at("name").get<std::string>();
	check_identifier(name, "column name");
	if (column.at("type").get<std::string>().empty())
		fail("column \"" + name + "\" needs a type");
	if (column.contains("generated")) {
		if (is_identity(column) && has_generated_expression(column))
			fail("column \"" + name + "\": generated takes either \"expression\" or \"identity\", not both");
		if (!is_identity(column) && !has_generated_expression(column))
			fail("column \"" + name + "\": generated needs \"expression\" or \"identity\"");
		if (column.contains("default"))
			fail("column \"" + name + "\": a generated column cannot have a default");
	}
}

std::string column_definition_sql(const json &column, const std::string &physical_name, const ReferenceTarget &target)
{
	std::string sql = quote_ident(physical_name) + " " + column.at("type").get<std::string>();
	if (has_generated_expression(column))
		sql += " GENERATED ALWAYS AS (" + column["generated"]["expression"].get<std::string>() + ") STORED";
	if (is_identity(column)) {
		const json &identity = column["generated"]["identity"];
		sql += " GENERATED " + to_upper(identity.value("user_specified_values", "ALWAYS")) + " AS IDENTITY";
		if (!identity.value("sequence_options", "").empty())
			sql += " (" + identity["sequence_options"].get<std::string>() + ")";
	}
	if (column.contains("default"))
		sql += " DEFAULT " + column["default"].get<std::string>();
	// pgroll's default: NOT NULL unless nullable. Identity columns are NOT NULL by themselves.
	if (!column.value("nullable", false) && !is_identity(column))
		sql += " NOT NULL";
	if (column.value("unique", false))
		sql += " UNIQUE";
	if (column.contains("check"))
		sql += column_check_sql(column["check"]);
	if (column.contains("references"))
		sql += column_references_sql(column["references"], target);
	return sql;
}

VirtualColumn virtual_column(const json &column, const std::string &physical_name)
{
	VirtualColumn virt;
	virt.name = column.at("name").get<std::string>();
	virt.physical = physical_name;
	virt.type = column.at("type").get<std::string>();
	virt.nullable = column.value("nullable", false) && !column.value("pk", false);
	virt.unique = column.value("unique", false);
	if (column.contains("default"))
		virt.default_expr = column["default"].get<std::string>();
	return virt;
}

}  // namespace pgshift
