// Reading a migration file (pgroll's format, JSON or YAML) into the JSON the extension's start() takes.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace pgshift::cli {

struct MigrationFile {
	std::string path;
	std::string name;              // the migration's name: the file's, or the file's top-level "name"
	nlohmann::ordered_json body;   // the whole file, with "name" filled in
};

// Reads and parses `path`: `.json` as JSON, `.yaml`/`.yml` as YAML converted to JSON. Everything in the
// file is passed through (the server validates it strictly); only "name" is added when absent.
// Throws Failure naming the file (and the line and column for syntax errors).
MigrationFile read_migration_file(const std::string &path);

// The migration name pgroll derives from a file: its base name without the last extension
// ("dir/03.migration.3.yml" -> "03.migration.3").
std::string migration_name_from_path(const std::string &path);

// Converts YAML text to JSON with JSON's types: quoted or block scalars are strings; plain scalars are
// null (null, ~, empty), booleans (true/false), integers, floats, or else strings (YAML 1.2 core
// schema). Throws Failure with `source` and the position on syntax errors or duplicate keys.
nlohmann::ordered_json yaml_to_json(const std::string &text, const std::string &source);

}  // namespace pgshift::cli
