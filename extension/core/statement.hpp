// One planned SQL statement.
#pragma once
#include <string>
#include <vector>

namespace pgshift {

// A statement of start, complete or rollback. `skip_on` lists SQLSTATEs after which the statement is
// skipped with a warning instead of failing the step (a copied check that does not fit a new type).
struct Statement {
	std::string sql;
	std::vector<std::string> skip_on = {};
	Statement(std::string text) : sql(std::move(text)) {}   // NOLINT: statements are written as strings
	Statement(std::string text, std::vector<std::string> skip) : sql(std::move(text)), skip_on(std::move(skip)) {}
};

}  // namespace pgshift
