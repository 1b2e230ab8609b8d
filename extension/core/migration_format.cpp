#include "core/migration_format.hpp"

#include <map>
#include <vector>

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgshift {
namespace {

enum class Type { String, NullableString, Boolean, Integer, StringList, StringMap, Object, ObjectList };

struct Shape;

struct Field {
	std::string name;
	Type type;
	bool required = false;
	const Shape *shape = nullptr;           // for Object and ObjectList
	std::vector<std::string> allowed = {};  // enum values, compared case-insensitively
};

struct Shape {
	std::vector<Field> fields;
};

// The format, transcribed from shared/conformance/pgroll/schema.json. Function-local statics: no
// global constructors run when PostgreSQL loads the library.
struct Format {
	Shape check, references, table_references, identity, generated, column, exclude, index_parameters,
	    constraint, opclass, index_field, unique, replica_identity, partition_by, partition;
	std::map<std::string, Shape> operations;
	Shape migration, operation_list_item;
};

const Format &format()
{
	// Built in place (the shapes point at each other) and never destroyed: no exit-time destructor.
	static const Format *const built = [] {
		const std::vector<std::string> fk_actions = {"NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"};
		const std::vector<std::string> match_types = {"SIMPLE", "FULL", "PARTIAL"};
		Format &f = *new Format;
		f.check = {{{"name", Type::String, true}, {"constraint", Type::String, true}, {"no_inherit", Type::Boolean}}};
		f.references = {{{"name", Type::String, true},
		                 {"table", Type::String, true},
		                 {"column", Type::String, true},
		                 {"match_type", Type::String, false, nullptr, match_types},
		                 {"on_delete", Type::String, false, nullptr, fk_actions},
		                 {"on_update", Type::String, false, nullptr, fk_actions},
		                 {"deferrable", Type::Boolean},
		                 {"initially_deferred", Type::Boolean}}};
		f.table_references = {{{"table", Type::String, true},
		                       {"columns", Type::StringList, true},
		                       {"match_type", Type::String, false, nullptr, match_types},
		                       {"on_delete", Type::String, false, nullptr, fk_actions},
		                       {"on_update", Type::String, false, nullptr, fk_actions},
		                       {"on_delete_set_columns", Type::StringList}}};
		f.identity = {{{"sequence_options", Type::String},
		               {"user_specified_values", Type::String, false, nullptr, {"ALWAYS", "BY DEFAULT"}}}};
		f.generated = {{{"expression", Type::String}, {"identity", Type::Object, false, &f.identity}}};
		f.column = {{{"name", Type::String, true},
		             {"type", Type::String, true},
		             {"nullable", Type::Boolean},
		             {"unique", Type::Boolean},
		             {"pk", Type::Boolean},
		             {"default", Type::String},
		             {"comment", Type::String},
		             {"check", Type::Object, false, &f.check},
		             {"references", Type::Object, false, &f.references},
		             {"generated", Type::Object, false, &f.generated}}};
		f.exclude = {{{"index_method", Type::String}, {"elements", Type::String}, {"predicate", Type::String}}};
		f.index_parameters = {
		    {{"tablespace", Type::String}, {"storage_parameters", Type::String}, {"include_columns", Type::StringList}}};
		f.constraint = {{{"name", Type::String, true},
		                 {"type", Type::String, true, nullptr, {"unique", "check", "primary_key", "foreign_key", "exclude"}},
		                 {"columns", Type::StringList},
		                 {"deferrable", Type::Boolean},
		                 {"initially_deferred", Type::Boolean},
		                 {"nulls_not_distinct", Type::Boolean},
		                 {"no_inherit", Type::Boolean},
		                 {"check", Type::String},
		                 {"references", Type::Object, false, &f.table_references},
		                 {"exclude", Type::Object, false, &f.exclude},
		                 {"index_parameters", Type::Object, false, &f.index_parameters}}};
		f.opclass = {{{"name", Type::String}, {"params", Type::StringList}}};
		// pgshift's extension: an element is a column or an SQL "expression" (exactly one of them).
		f.index_field = {{{"column", Type::String},
		                  {"expression", Type::String},
		                  {"collate", Type::String},
		                  {"sort", Type::String, false, nullptr, {"ASC", "DESC"}},
		                  {"nulls", Type::String, false, nullptr, {"FIRST", "LAST"}},
		                  {"opclass", Type::Object, false, &f.opclass}}};
		f.unique = {{{"name", Type::String, true}}};
		f.replica_identity = {{{"type", Type::String, true, nullptr, {"NOTHING", "DEFAULT", "INDEX", "FULL"}},
		                       {"index", Type::String}}};

		// pgshift's extension: partitioned tables (docs/format-extensions.md). A partition's bound is
		// one of values (LIST), from and to (RANGE), modulus and remainder (HASH), or default.
		f.partition_by = {{{"strategy", Type::String, true, nullptr, {"list", "range", "hash"}},
		                   {"columns", Type::StringList, true}}};
		const std::vector<Field> bound_fields = {{"values", Type::StringList}, {"from", Type::StringList},
		                                         {"to", Type::StringList},     {"modulus", Type::Integer},
		                                         {"remainder", Type::Integer}, {"default", Type::Boolean}};
		f.partition = {{{"name", Type::String, true}}};
		f.partition.fields.insert(f.partition.fields.end(), bound_fields.begin(), bound_fields.end());

		auto &ops = f.operations;
		ops["create_table"] = {{{"name", Type::String, true},
		                        {"columns", Type::ObjectList, true, &f.column},
		                        {"comment", Type::String},
		                        {"constraints", Type::ObjectList, false, &f.constraint},
		                        {"partition_by", Type::Object, false, &f.partition_by},
		                        {"partitions", Type::ObjectList, false, &f.partition}}};
		ops["create_partition"] = {{{"table", Type::String, true}, {"name", Type::String, true}}};
		ops["create_partition"].fields.insert(ops["create_partition"].fields.end(), bound_fields.begin(),
		                                      bound_fields.end());
		ops["detach_partition"] = {{{"table", Type::String, true}, {"name", Type::String, true}, {"drop", Type::Boolean}}};
		ops["rebuild_table"] = {{{"table", Type::String, true},
		                         {"primary_key", Type::StringList},
		                         {"partition_by", Type::Object, false, &f.partition_by},
		                         {"partitions", Type::ObjectList, false, &f.partition}}};
		ops["add_column"] = {
		    {{"table", Type::String, true}, {"column", Type::Object, true, &f.column}, {"up", Type::String}}};
		ops["alter_column"] = {{{"table", Type::String, true},
		                        {"column", Type::String, true},
		                        {"up", Type::String},
		                        {"down", Type::String},
		                        {"type", Type::String},
		                        {"nullable", Type::Boolean},
		                        {"default", Type::NullableString},
		                        {"comment", Type::NullableString},
		                        {"unique", Type::Object, false, &f.unique},
		                        {"check", Type::Object, false, &f.check},
		                        {"references", Type::Object, false, &f.references}}};
		ops["drop_column"] = {{{"table", Type::String, true}, {"column", Type::String, true}, {"down", Type::String}}};
		ops["rename_column"] = {
		    {{"table", Type::String, true}, {"from", Type::String, true}, {"to", Type::String, true}}};
		ops["drop_table"] = {{{"name", Type::String, true}}};
		ops["rename_table"] = {{{"from", Type::String, true}, {"to", Type::String, true}}};
		ops["create_index"] = {{{"name", Type::String, true},
		                        {"table", Type::String, true},
		                        {"columns", Type::ObjectList, true, &f.index_field},
		                        {"method", Type::String, false, nullptr, {"btree", "hash", "gist", "spgist", "gin", "brin"}},
		                        {"unique", Type::Boolean},
		                        {"predicate", Type::String},
		                        {"storage_parameters", Type::String},
		                        {"include", Type::StringList}}};   // pgshift's extension: INCLUDE (columns)
		ops["drop_index"] = {{{"name", Type::String, true}}};
		ops["create_constraint"] = {{{"table", Type::String, true},
		                             {"name", Type::String, true},
		                             {"type", Type::String, true, nullptr, {"unique", "check", "foreign_key", "primary_key"}},
		                             {"columns", Type::StringList},
		                             {"check", Type::String},
		                             {"no_inherit", Type::Boolean},
		                             {"references", Type::Object, false, &f.table_references},
		                             {"index_parameters", Type::Object, false, &f.index_parameters},
		                             {"up", Type::StringMap, true},
		                             {"down", Type::StringMap, true}}};
		ops["drop_constraint"] = {{{"table", Type::String, true},
		                           {"name", Type::String, true},
		                           {"up", Type::String},
		                           {"down", Type::String, true}}};
		ops["drop_multicolumn_constraint"] = {{{"table", Type::String, true},
		                                       {"name", Type::String, true},
		                                       {"up", Type::StringMap},
		                                       {"down", Type::StringMap, true}}};
		ops["rename_constraint"] = {
		    {{"table", Type::String, true}, {"from", Type::String, true}, {"to", Type::String, true}}};
		ops["sql"] = {{{"up", Type::String, true}, {"down", Type::String}, {"onComplete", Type::Boolean}}};
		ops["set_replica_identity"] = {
		    {{"table", Type::String, true}, {"identity", Type::Object, true, &f.replica_identity}}};
		return &f;
	}();
	return *built;
}

const char *type_description(Type type)
{
	switch (type) {
	case Type::String: return "a string";
	case Type::NullableString: return "a string or null";
	case Type::Boolean: return "a boolean";
	case Type::Integer: return "a whole number";
	case Type::StringList: return "a list of strings";
	case Type::StringMap: return "an object mapping column names to SQL strings";
	case Type::Object: return "an object";
	case Type::ObjectList: return "a list of objects";
	}
	return "?";
}

std::string json_kind(const json &value)
{
	if (value.is_null()) return "null";
	if (value.is_boolean()) return "a boolean";
	if (value.is_number()) return "a number";
	if (value.is_string()) return "a string";
	if (value.is_array()) return "a list";
	return "an object";
}

[[noreturn]] void fail(const std::string &path, const std::string &problem, std::string hint = {})
{
	throw Error(sqlstate::invalid_migration, "invalid migration: " + path + ": " + problem, std::move(hint));
}

void check_shape(const json &value, const Shape &shape, const std::string &path);

void check_value(const json &value, const Field &field, const std::string &path)
{
	bool ok = false;
	switch (field.type) {
	case Type::String: ok = value.is_string(); break;
	case Type::NullableString: ok = value.is_string() || value.is_null(); break;
	case Type::Boolean: ok = value.is_boolean(); break;
	case Type::Integer: ok = value.is_number_integer(); break;
	case Type::Object: ok = value.is_object(); break;
	case Type::StringList:
	case Type::ObjectList: ok = value.is_array(); break;
	case Type::StringMap: ok = value.is_object(); break;
	}
	if (!ok)
		fail(path, std::string("expected ") + type_description(field.type) + ", got " + json_kind(value));

	if (!field.allowed.empty()) {
		std::string upper = to_upper(value.get<std::string>());
		bool found = false;
		std::string list;
		for (const auto &allowed : field.allowed) {
			found = found || to_upper(allowed) == upper;
			list += (list.empty() ? "" : ", ") + allowed;
		}
		if (!found)
			fail(path, "\"" + value.get<std::string>() + "\" is not one of " + list);
	}
	if (field.type == Type::Object)
		check_shape(value, *field.shape, path);
	if (field.type == Type::StringList || field.type == Type::ObjectList) {
		for (std::size_t i = 0; i < value.size(); i++) {
			std::string item_path = path + "[" + std::to_string(i) + "]";
			if (field.type == Type::StringList && !value[i].is_string())
				fail(item_path, "expected a string, got " + json_kind(value[i]));
			if (field.type == Type::ObjectList) {
				if (!value[i].is_object())
					fail(item_path, "expected an object, got " + json_kind(value[i]));
				check_shape(value[i], *field.shape, item_path);
			}
		}
	}
	if (field.type == Type::StringMap) {
		for (auto it = value.begin(); it != value.end(); ++it)
			if (!it.value().is_string())
				fail(path + "." + it.key(), "expected a string, got " + json_kind(it.value()));
	}
}

void check_shape(const json &value, const Shape &shape, const std::string &path)
{
	for (auto it = value.begin(); it != value.end(); ++it) {
		const Field *field = nullptr;
		for (const auto &candidate : shape.fields)
			if (candidate.name == it.key())
				field = &candidate;
		if (field == nullptr) {
			std::string known;
			for (const auto &candidate : shape.fields)
				known += (known.empty() ? "" : ", ") + candidate.name;
			fail(path, "unknown field \"" + it.key() + "\"", "Known fields here: " + known + ".");
		}
		check_value(it.value(), *field, path + "." + it.key());
	}
	for (const auto &field : shape.fields)
		if (field.required && !value.contains(field.name))
			fail(path, "missing required field \"" + field.name + "\"");
}

}  // namespace

void check_migration_format(const json &migration)
{
	if (!migration.is_object())
		fail("migration", "expected an object with \"operations\", got " + json_kind(migration));
	for (auto it = migration.begin(); it != migration.end(); ++it) {
		const std::string &key = it.key();
		if (key == "name" || key == "version_schema") {
			if (!it.value().is_string())
				fail(key, "expected a string, got " + json_kind(it.value()));
		} else if (key != "operations") {
			fail("migration", "unknown field \"" + key + "\"", "Known fields: name, version_schema, operations.");
		}
	}
	if (!migration.contains("operations"))
		fail("migration", "missing required field \"operations\"");
	const json &operations = migration["operations"];
	if (!operations.is_array())
		fail("operations", "expected a list of operations, got " + json_kind(operations));

	const auto &ops = format().operations;
	for (std::size_t i = 0; i < operations.size(); i++) {
		std::string path = "operations[" + std::to_string(i) + "]";
		const json &operation = operations[i];
		if (!operation.is_object())
			fail(path, "expected an object such as {\"create_table\": {...}}, got " + json_kind(operation));
		if (operation.size() != 1)
			fail(path, "an operation must have exactly one key (the operation's name), found " +
			               std::to_string(operation.size()));
		const std::string &kind = operation.begin().key();
		auto shape = ops.find(kind);
		if (shape == ops.end()) {
			std::string known;
			for (const auto &op : ops)
				known += (known.empty() ? "" : ", ") + op.first;
			fail(path, "unknown operation \"" + kind + "\"", "Known operations: " + known + ".");
		}
		if (!operation.begin().value().is_object())
			fail(path + "." + kind, "expected an object, got " + json_kind(operation.begin().value()));
		check_shape(operation.begin().value(), shape->second, path + "." + kind);
	}
}

const std::string &operation_kind(const json &operation)
{
	return operation.begin().key();
}

const json &operation_body(const json &operation)
{
	return operation.begin().value();
}

}  // namespace pgshift
