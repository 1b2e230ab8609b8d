#include "core/version_views.hpp"

#include <optional>

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

namespace {

json catalog_column(const json &catalog, const std::string &table, const std::string &column)
{
	if (!catalog.is_object() || !catalog.contains("tables") || !catalog["tables"].contains(table))
		return json::object();
	const json &entry = catalog["tables"][table];
	if (!entry.contains("columns") || !entry["columns"].contains(column))
		return json::object();
	return entry["columns"][column];
}

// What a client of the view gets for DEFAULT in a column: the view's own default when the
// migration sets one, else the table column's. (Without a view default PostgreSQL gives NULL to
// `UPDATE view SET c = DEFAULT`.) A generated or GENERATED ALWAYS identity column takes none:
// PostgreSQL accepts nothing but its own default there.
struct ViewDefault {
	std::optional<std::string> expression;
	bool identity = false;   // BY DEFAULT identity: the view takes nextval of the column's sequence
};

ViewDefault view_default(const json &table, const json &catalog, const std::string &virtual_name,
                         const std::string &physical)
{
	const json defaults = table.value("defaults", json::object());
	if (defaults.contains(virtual_name))
		return {defaults[virtual_name].get<std::string>(), false};
	const json column = catalog_column(catalog, table["physical"].get<std::string>(), physical);
	if (column.contains("generated"))
		return {};
	if (column.value("identity", "") == "BY DEFAULT")
		return {std::nullopt, true};
	if (column.contains("default") && column["default"].is_string())
		return {column["default"].get<std::string>(), false};
	return {};
}

std::string view_condition(const VersionViewOptions &options)
{
	if (options.pending)
		return "pgshift._version_view_pending(" + quote_literal(options.version_name) + ")";
	return "pgshift._version_view_open()";
}

}  // namespace

std::vector<std::string> version_schema_sql(const std::string &schema, const std::string &version_schema,
                                            const json &catalog, const json &overlay, const VersionViewOptions &options)
{
	json views = overlay.contains("tables") ? overlay : views_overlay(VirtualSchema::from_catalog(catalog));
	std::vector<std::string> statements;
	if (!options.replace)
		statements.push_back("CREATE SCHEMA " + quote_ident(version_schema));
	for (const auto &table : views["tables"]) {
		std::string view = quote_qualified(version_schema, table["name"].get<std::string>());
		std::string physical_table = quote_qualified(schema, table["physical"].get<std::string>());
		std::string select;
		for (const auto &column : table["columns"]) {
			std::string physical = column[1].get<std::string>(), name = column[0].get<std::string>();
			select += (select.empty() ? "" : ", ") + quote_ident(physical);
			if (name != physical)
				select += " AS " + quote_ident(name);
		}
		if (options.legacy) {
			statements.push_back("CREATE VIEW " + view + " WITH (security_invoker = true) AS SELECT " + select + " FROM " +
			                     physical_table);
			const json defaults = table.value("defaults", json::object());
			for (const auto &item : defaults.items())
				statements.push_back("ALTER VIEW " + view + " ALTER COLUMN " + quote_ident(item.key()) + " SET DEFAULT " +
				                     item.value().get<std::string>());
			continue;
		}
		statements.push_back(std::string(options.replace ? "CREATE OR REPLACE VIEW " : "CREATE VIEW ") + view +
		                     " WITH (security_invoker = true, check_option = local) AS SELECT " + select + " FROM " +
		                     physical_table + " WHERE " + view_condition(options));
		if (options.replace)
			continue;   // the views keep their column defaults and privileges
		for (const auto &column : table["columns"]) {
			std::string physical = column[1].get<std::string>(), name = column[0].get<std::string>();
			ViewDefault fallback = view_default(table, catalog, name, physical);
			if (fallback.expression)
				statements.push_back("ALTER VIEW " + view + " ALTER COLUMN " + quote_ident(name) + " SET DEFAULT " +
				                     *fallback.expression);
			else if (fallback.identity)
				statements.push_back("SELECT pgshift._view_identity_default(" + quote_literal(view) + ", " +
				                     quote_literal(name) + ", " + quote_literal(physical_table) + ", " +
				                     quote_literal(physical) + ")");
		}
	}
	return statements;
}

}  // namespace pgshift
