#include "core/column_duplication.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

std::string dup_name(const std::string &name)
{
	std::string dup = std::string(internal_prefix) + "dup_" + name;
	check_identifier(dup, "name of the copy of \"" + name + "\"");
	return dup;
}

bool covers(const json &entry, const std::string &column)
{
	for (const auto &item : entry.value("columns", json::array()))
		if (item.is_string() && item.get<std::string>() == column)
			return true;
	return false;
}

// `CHECK (expr) NO INHERIT NOT VALID` -> `expr` (outer parentheses kept: they are harmless).
std::string check_expression(std::string definition)
{
	for (const char *suffix : {" NOT VALID", " NO INHERIT"})
		if (definition.size() > strlen(suffix) &&
		    definition.compare(definition.size() - strlen(suffix), strlen(suffix), suffix) == 0)
			definition.erase(definition.size() - strlen(suffix));
	if (starts_with_ci(definition, "CHECK "))
		definition.erase(0, 6);
	return definition;
}

// The table's copy of the old-version column map, so `up` reads the columns as old clients see them.
json old_version_map(const PlanningContext &context, const VirtualTable &table)
{
	for (const auto &before : context.before.tables())
		if (before.physical == table.physical)
			return before.column_map();
	return table.column_map();
}

class Duplicator {
public:
	Duplicator(PlanningContext &context, VirtualTable &table, const DuplicationRequest &request, OperationPlan &plan)
		: context_(context), table_(table), request_(request), plan_(plan)
	{
		VirtualColumn *column = table.find_column(request.column);
		if (column == nullptr)
			throw Error(sqlstate::undefined_column,
			            "column \"" + request.column + "\" does not exist in table \"" + table.name + "\"");
		if (is_internal_name(column->physical))
			throw Error(sqlstate::feature_not_supported, "column \"" + request.column +
			                                                 "\" is already changed by an earlier operation of this migration");
		if (std::find(table.primary_key.begin(), table.primary_key.end(), request.column) != table.primary_key.end())
			throw Error(sqlstate::feature_not_supported, "changing primary key column \"" + request.column +
			                                                 "\" is not supported yet");
		old_ = column->physical;
		twin_ = new_column_name(request.column);
		qualified_ = quote_qualified(context.schema, table.physical);
		alter_ = "ALTER TABLE " + qualified_ + " ";
		if (table.catalog.is_object() && table.catalog.contains("columns"))
			catalog_column_ = table.catalog["columns"].value(old_, json::object());
		renames_ = {{old_, twin_}};
	}

	Duplicate run()
	{
		add_twin();
		copy_checks();
		copy_foreign_keys();
		copy_unique_constraints_and_indexes();
		keep_in_step();
		contract();
		remap();
		return Duplicate{twin_, qualified_};
	}

private:
	PlanningContext &context_;
	VirtualTable &table_;
	const DuplicationRequest &request_;
	OperationPlan &plan_;
	std::string old_, twin_, qualified_, alter_;
	json catalog_column_ = json::object();
	std::map<std::string, std::string> renames_;
	std::vector<std::string> promotions_;   // complete steps after the twin took the old name
	std::string not_null_check_;

	std::string type() const
	{
		if (request_.new_type)
			return *request_.new_type;
		const VirtualColumn *column = table_.find_column(request_.column);
		return catalog_column_.value("type", column->type);
	}

	void add_twin()
	{
		plan_.start.push_back(alter_ + "ADD COLUMN " + quote_ident(twin_) + " " + type());
		bool not_null = !catalog_column_.value("nullable", true);
		if (not_null && !request_.drop_not_null) {
			not_null_check_ = std::string(internal_prefix) + "check_not_null_" + request_.column;
			check_identifier(not_null_check_, "constraint name with pgshift's prefix");
			plan_.start.push_back(alter_ + "ADD CONSTRAINT " + quote_ident(not_null_check_) + " CHECK (" +
			                      quote_ident(twin_) + " IS NOT NULL) NOT VALID");
		}
		if (catalog_column_.contains("default")) {
			std::string expression = catalog_column_["default"].get<std::string>();
			// A default the new type cannot take is left behind (a `default` change can set one).
			if (context_.parser.default_kind(expression, type()) != ExpressionParser::DefaultKind::incompatible)
				plan_.start.push_back(alter_ + "ALTER COLUMN " + quote_ident(twin_) + " SET DEFAULT " + expression);
		}
		if (catalog_column_.contains("comment"))
			plan_.start.push_back("COMMENT ON COLUMN " + qualified_ + "." + quote_ident(twin_) + " IS " +
			                      quote_literal(catalog_column_["comment"].get<std::string>()));
	}

	bool inherited(const std::string &constraint) const { return request_.constraints_to_drop.count(constraint) == 0; }

	void copy_checks()
	{
		for (const auto &check : catalog_entries("checkConstraints")) {
			std::string name = check["name"].get<std::string>();
			if (!covers(check, old_) || !inherited(name))
				continue;
			std::string dup = dup_name(name);
			std::string expression = rename_columns(check_expression(check.value("definition", "")), renames_, context_.parser);
			// A check that does not apply to the new type (undefined operator or function, type mismatch)
			// is left behind, as pgroll does; the promotion then finds nothing to rename.
			plan_.start.push_back(Statement(alter_ + "ADD CONSTRAINT " + quote_ident(dup) + " CHECK (" + expression + ")" +
			                                    (check.value("noInherit", false) ? " NO INHERIT" : "") + " NOT VALID",
			                                {"42883", "42804"}));
			promotions_.push_back(if_constraint_exists(dup, alter_ + "VALIDATE CONSTRAINT " + quote_ident(dup) + "; " +
			                                                     alter_ + "RENAME CONSTRAINT " + quote_ident(dup) + " TO " +
			                                                     quote_ident(name)));
		}
	}

	void copy_foreign_keys()
	{
		for (const auto &fk : catalog_entries("foreignKeys")) {
			std::string name = fk["name"].get<std::string>();
			std::string definition = fk.value("definition", "");
			std::size_t references = definition.find(" REFERENCES ");
			if (!covers(fk, old_) || !inherited(name) || references == std::string::npos)
				continue;
			std::string dup = dup_name(name);
			plan_.start.push_back(alter_ + "ADD CONSTRAINT " + quote_ident(dup) + " FOREIGN KEY (" +
			                      renamed_columns(fk["columns"]) + ")" + definition.substr(references) + " NOT VALID");
			promotions_.push_back(alter_ + "VALIDATE CONSTRAINT " + quote_ident(dup));
			promotions_.push_back(alter_ + "RENAME CONSTRAINT " + quote_ident(dup) + " TO " + quote_ident(name));
		}
	}

	void copy_unique_constraints_and_indexes()
	{
		std::set<std::string> constraint_indexes;
		for (const auto &unique : catalog_entries("uniqueConstraints")) {
			std::string name = unique["name"].get<std::string>();
			constraint_indexes.insert(name);
			if (!covers(unique, old_) || !inherited(name))
				continue;
			std::string dup = dup_name(name);
			build_index_concurrently("CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(dup) + " ON " + qualified_ + " (" +
			                         renamed_columns(unique["columns"]) + ")", dup);
			promotions_.push_back(alter_ + "ADD CONSTRAINT " + quote_ident(name) + " UNIQUE USING INDEX " + quote_ident(dup));
		}
		for (const auto &index : catalog_entries("indexes")) {
			std::string name = index["name"].get<std::string>();
			if (constraint_indexes.count(name) > 0 || index.value("primary", false) || index.value("exclusion", false) ||
			    !covers(index, old_))
				continue;
			std::string dup = dup_name(name);
			std::string predicate = index.value("predicate", "");
			build_index_concurrently_optional(std::string("CREATE ") + (index.value("unique", false) ? "UNIQUE " : "") +
			                             "INDEX CONCURRENTLY " + quote_ident(dup) + " ON " + qualified_ + " USING " +
			                             quote_ident(index.value("method", "btree")) + " (" +
			                             renamed_columns(index["columns"]) + ")" +
			                             (predicate.empty() ? "" : " WHERE " + rename_columns(predicate, renames_, context_.parser)),
			                         dup);
			promotions_.push_back("ALTER INDEX IF EXISTS " + quote_qualified(context_.schema, dup) + " RENAME TO " +
			                      quote_ident(name));
		}
	}

	void keep_in_step()
	{
		std::string column = quote_ident(request_.column);
		context_.dual_writes.add(table_, ColumnAssignment{"up", twin_, request_.up.empty() ? column : request_.up,
		                                                  old_version_map(context_, table_)});
		json new_map = table_.column_map();
		new_map[request_.column] = twin_;
		context_.dual_writes.add(table_, ColumnAssignment{"down", old_, request_.down.empty() ? column : request_.down, new_map});
		context_.dual_writes.backfill(table_, twin_);
	}

	void contract()
	{
		plan_.complete.push_back(alter_ + "DROP COLUMN " + quote_ident(old_));
		plan_.complete.push_back(alter_ + "RENAME COLUMN " + quote_ident(twin_) + " TO " + quote_ident(old_));
		for (auto &step : promotions_)
			plan_.complete.push_back(step);
		if (!not_null_check_.empty()) {
			plan_.complete.push_back(alter_ + "VALIDATE CONSTRAINT " + quote_ident(not_null_check_));
			plan_.complete.push_back(alter_ + "ALTER COLUMN " + quote_ident(old_) + " SET NOT NULL");
			plan_.complete.push_back(alter_ + "DROP CONSTRAINT " + quote_ident(not_null_check_));
		}
		plan_.rollback.push_back(alter_ + "DROP COLUMN IF EXISTS " + quote_ident(twin_));
	}

	void remap()
	{
		VirtualColumn *column = table_.find_column(request_.column);
		column->physical = twin_;
		column->type = type();
		if (request_.drop_not_null)
			column->nullable = true;
	}

	void build_index_concurrently(const std::string &statement, const std::string &index)
	{
		plan_.concurrent.push_back({statement, "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(context_.schema, index)});
	}

	// An index copied onto the twin that may not fit its new type: if it cannot be built, it is
	// reported and left out rather than blocking the migration.
	void build_index_concurrently_optional(const std::string &statement, const std::string &index)
	{
		plan_.concurrent.push_back(
		    {statement, "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(context_.schema, index), true});
	}

	// `statements` run only when the constraint exists on the table.
	std::string if_constraint_exists(const std::string &constraint, const std::string &statements) const
	{
		return "DO $pgshift$ BEGIN IF EXISTS (SELECT FROM pg_constraint WHERE conrelid = " + quote_literal(qualified_) +
		       "::regclass AND conname = " + quote_literal(constraint) + ") THEN " + statements +
		       "; END IF; END $pgshift$";
	}

	// An index or constraint column list with c replaced by its twin; expression elements are
	// rewritten with PostgreSQL's parser.
	std::string renamed_columns(const json &columns) const
	{
		std::string list;
		for (const auto &item : columns) {
			std::string element = item.get<std::string>();
			bool is_column = catalog_has_column(element);
			std::string renamed = element == old_ ? quote_ident(twin_)
			                      : is_column     ? quote_ident(element)
			                                      : rename_columns(element, renames_, context_.parser);
			list += (list.empty() ? "" : ", ") + renamed;
		}
		return list;
	}

	bool catalog_has_column(const std::string &name) const
	{
		return table_.catalog.is_object() && table_.catalog.contains("columns") && table_.catalog["columns"].contains(name);
	}

	std::vector<json> catalog_entries(const char *kind) const
	{
		std::vector<json> entries;
		if (table_.catalog.is_object() && table_.catalog.contains(kind))
			for (const auto &entry : table_.catalog[kind])
				entries.push_back(entry);
		return entries;
	}
};

}  // namespace

Duplicate duplicate_column(PlanningContext &context, VirtualTable &table, const DuplicationRequest &request,
                           OperationPlan &plan)
{
	return Duplicator(context, table, request, plan).run();
}

}  // namespace pgshift
