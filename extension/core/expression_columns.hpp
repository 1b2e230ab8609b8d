// Renaming the columns an SQL expression mentions (e.g. `length(name) > 3` -> `length("_pgshift_new_name") > 3`)
// from the positions PostgreSQL's own parser reports, never by searching the text: a string literal,
// a function or another column that merely contains the name is left alone.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace pgshift {

// Where the parser found an unqualified column reference in an expression's text.
struct ColumnReference {
	std::size_t offset;   // byte offset in the expression
	std::size_t length;   // bytes of the reference as written (with quotes, if quoted)
	std::string name;     // the column name it means
};

// Implemented on the PostgreSQL side (pg/expression_parser.cpp): parses `expression` and returns its
// unqualified column references; throws pgshift::Error when the expression does not parse.
class ExpressionParser {
public:
	virtual std::vector<ColumnReference> column_references(const std::string &expression) const = 0;
	// What `expression` is as the default of a column of `type`: not assignable to it, stable, or
	// volatile (adding a column with a volatile default rewrites the whole table).
	enum class DefaultKind { incompatible, stable, volatile_ };
	virtual DefaultKind default_kind(const std::string &expression, const std::string &type) const = 0;

protected:
	~ExpressionParser() = default;
};

// `expression` with each column reference that `renames` maps replaced by the quoted new name.
std::string rename_columns(const std::string &expression, const std::map<std::string, std::string> &renames,
                           const ExpressionParser &parser);

// `expression` with each column reference that `replacements` maps replaced by that SQL expression,
// parenthesized: composes two operations' up (or down) expressions on the same column.
std::string substitute_columns(const std::string &expression,
                               const std::map<std::string, std::string> &replacements, const ExpressionParser &parser);

}  // namespace pgshift
