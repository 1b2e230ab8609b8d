// Writing a migration to a file (pull, baseline) that read_migration_file, and pgroll, read back as the
// same JSON.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace pgshift::cli {

// The body of a migration file: `stored` ({version_schema?, operations, ...}) without "name" (pgroll
// takes the name from the file name and rejects the key), version_schema first.
nlohmann::ordered_json migration_file_body(const nlohmann::ordered_json &stored);

// Block-style YAML whose every scalar reads back with its JSON type: strings that would read as
// something else (numbers, booleans, null, YAML 1.1's yes/no/on/off) or that need escapes are quoted.
// Falls back to JSON text, which is also YAML, if the YAML would not read back identically.
std::string to_yaml(const nlohmann::ordered_json &value);

// Fails unless `name` can be a file name (not empty, no '/', not . or ..): history names are free text.
void check_migration_file_name(const std::string &name);

// `body` as a new file dir/<name>.yaml (or .json); fails rather than replace an existing file.
// Returns the path written.
std::string write_migration_file(const std::string &dir, const std::string &name, const nlohmann::ordered_json &body,
                                 bool as_json);

}  // namespace pgshift::cli
