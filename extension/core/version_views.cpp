#include "core/version_views.hpp"

#include "core/sql_text.hpp"

namespace pgshift {

json views_overlay(const VirtualSchema &virt)
{
	json tables = json::array();
	for (const auto &table : virt.tables()) {
		json columns = json::array(), defaults = json::object();
		for (const auto &column : table.columns) {
			columns.push_back(json::array({column.name, column.physical}));
			if (column.view_default)
				defaults[column.name] = *column.view_default;
		}
		tables.push_back(json{{"name", table.name}, {"physical", table.physical}, {"columns", columns}, {"defaults", defaults}});
	}
	return json{{"tables", tables}};
}

std::vector<std::string> version_schema_sql(const std::string &schema, const std::string &version_schema,
                                            const json &catalog, const json &overlay)
{
	json views = overlay.contains("tables") ? overlay : views_overlay(VirtualSchema::from_catalog(catalog));
	std::vector<std::string> statements{"CREATE SCHEMA " + quote_ident(version_schema)};
	for (const auto &table : views["tables"]) {
		std::string view = quote_qualified(version_schema, table["name"].get<std::string>());
		std::string select;
		for (const auto &column : table["columns"]) {
			std::string physical = column[1].get<std::string>(), name = column[0].get<std::string>();
			select += (select.empty() ? "" : ", ") + quote_ident(physical);
			if (name != physical)
				select += " AS " + quote_ident(name);
		}
		// security_invoker: the table's privileges and row-level security apply to the caller.
		statements.push_back("CREATE VIEW " + view + " WITH (security_invoker = true) AS SELECT " + select + " FROM " +
		                     quote_qualified(schema, table["physical"].get<std::string>()));
		const json defaults = table.value("defaults", json::object());
		for (const auto &item : defaults.items())
			statements.push_back("ALTER VIEW " + view + " ALTER COLUMN " + quote_ident(item.key()) + " SET DEFAULT " +
			                     item.value().get<std::string>());
	}
	return statements;
}

}  // namespace pgshift
