#include "core/column_duplication.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/error.hpp"
#include "core/pinned_block.hpp"
#include "core/sequence_handover.hpp"
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

// `'text'::some_type` -> `'text'`; "" when the expression is not a cast literal.
std::string bare_literal(const std::string &expression)
{
	if (expression.empty() || expression[0] != '\'')
		return "";
	std::size_t i = 1;
	while (i < expression.size()) {
		if (expression[i] == '\'') {
			if (i + 1 < expression.size() && expression[i + 1] == '\'') {
				i += 2;
				continue;
			}
			break;
		}
		i++;
	}
	if (i >= expression.size() || expression.compare(i + 1, 2, "::") != 0)
		return "";
	return expression.substr(0, i + 1);
}

// The names `up` reads the row by: the old version's (as old clients see the columns), and over
// them the names the migration's earlier operations left (a column renamed earlier in the same
// migration is named by its new name, as pgroll resolves it).
json up_column_map(const PlanningContext &context, const VirtualTable &table)
{
	json map = json::object();
	for (const auto &before : context.before.tables())
		if (before.physical == table.physical)
			map = before.column_map();
	const json current = table.column_map(); // a named copy: items() of a temporary would dangle
	for (const auto &entry : current.items())
		map[entry.key()] = entry.value();
	return map;
}

// One column being duplicated.
struct Twin {
	const DuplicationRequest *request;
	std::string old;            // c's physical name
	std::string twin;           // _pgshift_new_c
	json catalog_column;        // c's read_schema entry ({} for a column new in this migration)
	std::string not_null_check; // "" unless the twin keeps c's NOT NULL
	bool reused;                // the column is already new in this migration: `twin` is it, `old` is ""
};

class Duplicator {
public:
	Duplicator(PlanningContext &context, VirtualTable &table, const std::vector<DuplicationRequest> &requests,
	           OperationPlan &plan)
		: context_(context), table_(table), plan_(plan)
	{
		qualified_ = quote_qualified(context.schema, table.physical);
		alter_ = "ALTER TABLE " + qualified_ + " ";
		for (const auto &request : requests) {
			VirtualColumn *column = table.find_column(request.column);
			if (column == nullptr)
				throw Error(sqlstate::undefined_column,
				            "column \"" + request.column + "\" does not exist in table \"" + table.name + "\"");
			if (is_internal_name(column->physical)) {
				// Added or duplicated by an earlier operation of this migration: that column is changed
				// again rather than copied twice.
				check_reusable(request, *column);
				twins_.push_back(Twin{&request, "", column->physical, json::object(), "", true});
				continue;
			}
			for (const auto &[index, covered] : table.new_indexes)
				if (covered.count(column->physical) > 0)
					throw Error(sqlstate::feature_not_supported,
					            "index \"" + index + "\", created earlier in this migration, covers column \"" +
					                request.column + "\", which this operation replaces by a new column",
					            "Create the index after this operation (later in the migration), or in a migration of its own.");
			Twin twin{&request, column->physical, new_column_name(request.column), json::object(), "", false};
			if (table.catalog.is_object() && table.catalog.contains("columns"))
				twin.catalog_column = table.catalog["columns"].value(twin.old, json::object());
			check_identity_change(twin);
			renames_[twin.old] = twin.twin;
			for (const auto &dropped : request.constraints_to_drop)
				dropped_constraints_.insert(dropped);
			twins_.push_back(twin);
		}
	}

	std::vector<Duplicate> run()
	{
		for (auto &twin : twins_)
			if (!twin.reused)
				add_twin(twin);
		copy_checks();
		copy_foreign_keys();
		copy_unique_constraints_and_indexes();
		for (auto &twin : twins_) {
			if (twin.reused)
				compose_with_earlier(twin);
			else
				keep_in_step(twin);
		}
		for (auto &twin : twins_)
			if (!twin.reused || !twin.request->up.empty()) {
				context_.dual_writes.backfill(table_, twin.twin);
				break;
			}
		contract();
		std::vector<Duplicate> result;
		for (auto &twin : twins_) {
			remap(twin);
			result.push_back(Duplicate{twin.twin, qualified_});
		}
		return result;
	}

private:
	PlanningContext &context_;
	VirtualTable &table_;
	OperationPlan &plan_;
	std::string qualified_, alter_;
	std::vector<Twin> twins_;
	std::map<std::string, std::string> renames_;   // old physical name -> twin, for every column here
	std::set<std::string> dropped_constraints_;
	std::vector<std::string> promotions_;          // complete steps after the twins took the old names

	std::string type(const Twin &twin) const
	{
		if (twin.request->new_type)
			return *twin.request->new_type;
		return twin.catalog_column.value("type", table_.find_column(twin.request->column)->type);
	}

	void add_twin(Twin &twin)
	{
		plan_.start.push_back(alter_ + "ADD COLUMN " + quote_ident(twin.twin) + " " + type(twin));
		bool not_null = !twin.catalog_column.value("nullable", true);
		if (not_null && !twin.request->drop_not_null) {
			twin.not_null_check = std::string(internal_prefix) + "check_not_null_" + twin.request->column;
			check_identifier(twin.not_null_check, "constraint name with pgshift's prefix");
			plan_.start.push_back(alter_ + "ADD CONSTRAINT " + quote_ident(twin.not_null_check) + " CHECK (" +
			                      quote_ident(twin.twin) + " IS NOT NULL) NOT VALID");
		}
		if (twin.catalog_column.contains("default")) {
			std::string expression = twin.catalog_column["default"].get<std::string>();
			// The catalog spells a literal default with its old type ('0'::text); as a bare literal it
			// may suit the new type. A default the new type cannot take is left behind (a `default`
			// change can set one).
			std::string literal = bare_literal(expression);
			if (context_.parser.default_kind(expression, type(twin)) != ExpressionParser::DefaultKind::incompatible)
				plan_.start.push_back(alter_ + "ALTER COLUMN " + quote_ident(twin.twin) + " SET DEFAULT " + expression);
			else if (!literal.empty() &&
			         context_.parser.default_kind(literal, type(twin)) != ExpressionParser::DefaultKind::incompatible)
				plan_.start.push_back(alter_ + "ALTER COLUMN " + quote_ident(twin.twin) + " SET DEFAULT " + literal);
		}
		if (twin.catalog_column.contains("identity"))
			plan_.start.push_back(twin_draws_from_identity_sql(qualified_, twin.old, twin.twin));
		if (twin.catalog_column.contains("comment"))
			plan_.start.push_back("COMMENT ON COLUMN " + qualified_ + "." + quote_ident(twin.twin) + " IS " +
			                      quote_literal(twin.catalog_column["comment"].get<std::string>()));
	}

	// Whether a constraint or index must be copied onto the twins: it covers one of the columns and
	// the operation does not drop it.
	bool copied(const json &entry) const
	{
		if (dropped_constraints_.count(entry["name"].get<std::string>()) > 0)
			return false;
		for (const auto &twin : twins_)
			if (!twin.reused && covers(entry, twin.old))
				return true;
		return false;
	}

	void copy_checks()
	{
		for (const auto &check : catalog_entries("checkConstraints")) {
			if (!copied(check))
				continue;
			std::string name = check["name"].get<std::string>();
			std::string dup = dup_name(name);
			std::string expression = rename_columns(check_expression(check.value("definition", "")), renames_, context_.parser);
			// A check that does not apply to a new type (undefined operator or function, type mismatch)
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
			std::string definition = fk.value("definition", "");
			std::size_t references = definition.find(" REFERENCES ");
			if (!copied(fk) || references == std::string::npos)
				continue;
			std::string name = fk["name"].get<std::string>();
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
			if (!copied(unique))
				continue;
			refuse_unique_on_partitioned_rebuild(table_, "unique constraint \"" + name + "\" on a changed column");
			std::string dup = dup_name(name);
			build_index(plan_, context_, table_, "CREATE UNIQUE INDEX", dup, " (" + renamed_columns(unique["columns"]) + ")");
			promotions_.push_back(alter_ + "ADD CONSTRAINT " + quote_ident(name) + " UNIQUE USING INDEX " + quote_ident(dup));
		}
		for (const auto &index : catalog_entries("indexes")) {
			std::string name = index["name"].get<std::string>();
			if (constraint_indexes.count(name) > 0 || index.value("primary", false) || index.value("exclusion", false) ||
			    !copied(index))
				continue;
			std::string dup = dup_name(name);
			std::string predicate = index.value("predicate", "");
			// An index that does not fit a changed type is reported and left out, not a reason to fail.
			build_index(plan_, context_, table_, std::string("CREATE ") + (index.value("unique", false) ? "UNIQUE " : "") + "INDEX",
			            dup,
			            " USING " + quote_ident(index.value("method", "btree")) + " (" + renamed_columns(index["columns"]) + ")" +
			                (predicate.empty() ? "" : " WHERE " + rename_columns(predicate, renames_, context_.parser)),
			            true);
			promotions_.push_back("ALTER INDEX IF EXISTS " + quote_qualified(context_.schema, dup) + " RENAME TO " +
			                      quote_ident(name));
		}
	}

	void keep_in_step(const Twin &twin)
	{
		const DuplicationRequest &request = *twin.request;
		std::string column = quote_ident(request.column);
		context_.dual_writes.add(table_, ColumnAssignment{"up", twin.twin, request.up.empty() ? column : request.up,
		                                                  up_column_map(context_, table_), twin.old});
		json new_map = table_.column_map();
		for (const auto &other : twins_)
			new_map[other.request->column] = other.twin;
		context_.dual_writes.add(table_,
		                         ColumnAssignment{"down", twin.old, request.down.empty() ? column : request.down, new_map,
		                                          twin.twin});
	}

	// A second change of a column that is new in this migration writes the same column: what its
	// `up` computes from the row as the earlier operation left it, the earlier `up` computes first
	// (up2(up1(old))); its `down` undoes this change before the earlier `down` (down1(down2(new))).
	// The later expression names columns as the operations between left them (a rename in between):
	// its other references are rewritten to the columns' physical names, which the assignment's map
	// then knows too, so that no name means another column than the one the migration meant.
	void compose_with_earlier(const Twin &twin)
	{
		const DuplicationRequest &request = *twin.request;
		if (!request.up.empty()) {
			ColumnAssignment *earlier = context_.dual_writes.find(table_, "up", twin.twin);
			const std::string later = rename_columns(request.up, physical_names_except(request.column), context_.parser);
			if (earlier != nullptr) {
				earlier->expression = substitute_columns(later, {{request.column, earlier->expression}}, context_.parser);
				add_physical_names(earlier->columns);
			} else {
				// A column added without `up` holds its default for old-version rows: `up` starts from that.
				json columns = up_column_map(context_, table_);
				columns[request.column] = twin.twin;
				add_physical_names(columns);
				context_.dual_writes.add(table_, ColumnAssignment{"up", twin.twin, later, columns});
			}
		}
		if (!request.down.empty()) {
			ColumnAssignment *earlier = context_.dual_writes.find(table_, "down", twin.twin);
			if (earlier != nullptr) {
				// The earlier `down` names the column as it was called then.
				std::string earlier_name = request.column;
				for (const auto &entry : earlier->columns.items())
					if (entry.value() == twin.twin)
						earlier_name = entry.key();
				const std::string later = rename_columns(request.down, physical_names_except(""), context_.parser);
				earlier->expression = substitute_columns(earlier->expression, {{earlier_name, later}}, context_.parser);
				add_physical_names(earlier->columns);
			}
		}
	}

	std::map<std::string, std::string> physical_names_except(const std::string &except) const
	{
		std::map<std::string, std::string> names = table_.physical_names();
		names.erase(except);
		return names;
	}

	void add_physical_names(json &columns) const
	{
		for (const auto &column : table_.columns)
			if (!columns.contains(column.physical))
				columns[column.physical] = column.physical;
	}

	// An identity column's twin becomes an identity column at complete, which PostgreSQL allows only
	// on a NOT NULL column of an integer type: anything else could never complete.
	static void check_identity_change(const Twin &twin)
	{
		if (!twin.catalog_column.contains("identity"))
			return;
		const std::string hint = "Drop the identity first (a raw \"sql\" operation: ALTER TABLE ... ALTER COLUMN ... DROP "
		                         "IDENTITY), in a migration of its own.";
		if (twin.request->drop_not_null)
			throw Error(sqlstate::feature_not_supported,
			            "column \"" + twin.request->column + "\" is an identity column, which cannot be nullable", hint);
		static const char *const integer_types[] = {"smallint", "int2", "integer", "int", "int4", "bigint", "int8"};
		if (!twin.request->new_type)
			return;
		std::string type = *twin.request->new_type;
		for (auto &c : type)
			c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		for (const char *integer : integer_types)
			if (type == integer)
				return;
		throw Error(sqlstate::feature_not_supported,
		            "column \"" + twin.request->column + "\" is an identity column, which must stay an integer (not " +
		                *twin.request->new_type + ")",
		            hint);
	}

	void check_reusable(const DuplicationRequest &request, const VirtualColumn &column) const
	{
		const std::string hint = "Give the column its final definition in the first operation that changes or adds it.";
		if (request.new_type && *request.new_type != column.type)
			throw Error(sqlstate::feature_not_supported,
			            "the type of column \"" + request.column + "\" is already set by an earlier operation of this migration",
			            hint);
		if (request.drop_not_null && !column.nullable)
			throw Error(sqlstate::feature_not_supported,
			            "column \"" + request.column + "\" is made NOT NULL by an earlier operation of this migration", hint);
		if (!request.constraints_to_drop.empty())
			throw Error(sqlstate::feature_not_supported,
			            "the constraints of column \"" + request.column +
			                "\" are already copied by an earlier operation of this migration",
			            hint);
	}

	void contract()
	{
		for (const auto &twin : twins_) {
			if (twin.reused)
				continue;
			if (owns_sequence(twin))
				plan_.complete.push_back(hand_sequence_to_twin_sql(qualified_, twin.old, twin.twin));
			plan_.complete.push_back(alter_ + "DROP COLUMN " + quote_ident(twin.old));
			plan_.dropped_columns.emplace_back(table_.physical, twin.old);
		}
		// (The twins take their names with the other final renames: final_renames.hpp.)
		for (auto &step : promotions_)
			plan_.complete.push_back(step);
		for (const auto &twin : twins_) {
			if (twin.reused)
				continue;
			if (!twin.not_null_check.empty()) {
				plan_.complete.push_back(alter_ + "VALIDATE CONSTRAINT " + quote_ident(twin.not_null_check));
				plan_.complete.push_back(alter_ + "ALTER COLUMN " + quote_ident(twin.twin) + " SET NOT NULL");
				plan_.complete.push_back(alter_ + "DROP CONSTRAINT " + quote_ident(twin.not_null_check));
				// The check is proved by the worker once the backfill is done (online, under SHARE UPDATE
				// EXCLUSIVE), so that complete's VALIDATE finds it valid and its SET NOT NULL, under
				// complete's ACCESS EXCLUSIVE lock, reads no rows (bench/brownout.sh: 115 ms on 1M rows).
				plan_.after_backfill.push_back({alter_ + "VALIDATE CONSTRAINT " + quote_ident(twin.not_null_check), ""});
			}
			if (twin.catalog_column.contains("identity"))
				plan_.complete.push_back(restore_identity_sql(qualified_, twin.twin));
			plan_.rollback.push_back(alter_ + "DROP COLUMN IF EXISTS " + quote_ident(twin.twin));
		}
	}

	bool owns_sequence(const Twin &twin) const
	{
		return twin.catalog_column.contains("identity") ||
		       twin.catalog_column.value("default", "").find("nextval(") != std::string::npos;
	}

	void remap(const Twin &twin)
	{
		if (twin.reused)
			return;
		VirtualColumn *column = table_.find_column(twin.request->column);
		column->physical = twin.twin;
		column->type = type(twin);
		if (twin.request->drop_not_null)
			column->nullable = true;
	}

	// `statements` run only when the constraint exists on the table.
	std::string if_constraint_exists(const std::string &constraint, const std::string &statements) const
	{
		return pinned_do_block("", "        IF EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = " +
		                               quote_literal(qualified_) + "::pg_catalog.regclass AND conname = " +
		                               quote_literal(constraint) + ") THEN " + statements + "; END IF;");
	}

	// An index or constraint column list with the columns replaced by their twins; expression
	// elements are rewritten with PostgreSQL's parser.
	std::string renamed_columns(const json &columns) const
	{
		std::string list;
		for (const auto &item : columns) {
			std::string element = item.get<std::string>();
			auto rename = renames_.find(element);
			std::string renamed = rename != renames_.end()     ? quote_ident(rename->second)
			                      : catalog_has_column(element) ? quote_ident(element)
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

std::vector<Duplicate> duplicate_columns(PlanningContext &context, VirtualTable &table,
                                         const std::vector<DuplicationRequest> &requests, OperationPlan &plan)
{
	return Duplicator(context, table, requests, plan).run();
}

}  // namespace pgshift
