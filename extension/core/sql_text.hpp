// Quoting and name checks for the SQL the planner writes. Every identifier is double-quoted and
// every literal single-quoted, so no name or value from a migration file can change the statement.
#pragma once
#include <string>
#include <vector>

namespace pgshift {

// PostgreSQL truncates identifiers longer than this many bytes; pgshift refuses them instead.
constexpr std::size_t max_identifier_bytes = 63;

std::string quote_ident(const std::string &name);
std::string quote_qualified(const std::string &schema, const std::string &name);
std::string quote_literal(const std::string &value);
std::string quote_ident_list(const std::vector<std::string> &names);   // "a", "b"

// Throws name_too_long / invalid_migration when `name` is empty, holds a NUL or is over 63 bytes.
// `what` names the thing in the message, e.g. `column name` or `version schema`.
void check_identifier(const std::string &name, const std::string &what);

std::string to_upper(std::string text);
bool starts_with_ci(const std::string &text, const std::string &prefix);

}  // namespace pgshift
