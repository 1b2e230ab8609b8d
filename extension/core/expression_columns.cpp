#include "core/expression_columns.hpp"

#include <algorithm>

#include "core/sql_text.hpp"

namespace pgshift {

namespace {

// `expression` with the references `replacement_for` gives text for (nullopt: kept as written).
template <typename Replacement>
std::string replace_references(const std::string &expression, const ExpressionParser &parser,
                               Replacement replacement_for)
{
	auto references = parser.column_references(expression);
	// Replace from the end so earlier offsets stay valid.
	std::sort(references.begin(), references.end(),
	          [](const ColumnReference &a, const ColumnReference &b) { return a.offset > b.offset; });
	std::string replaced = expression;
	for (const auto &reference : references) {
		const std::string *text = replacement_for(reference.name);
		if (text != nullptr)
			replaced.replace(reference.offset, reference.length, *text);
	}
	return replaced;
}

}  // namespace

std::string rename_columns(const std::string &expression, const std::map<std::string, std::string> &renames,
                           const ExpressionParser &parser)
{
	std::map<std::string, std::string> quoted;
	for (const auto &[from, to] : renames)
		quoted[from] = quote_ident(to);
	return replace_references(expression, parser, [&](const std::string &name) -> const std::string * {
		auto found = quoted.find(name);
		return found == quoted.end() ? nullptr : &found->second;
	});
}

std::string substitute_columns(const std::string &expression,
                               const std::map<std::string, std::string> &replacements, const ExpressionParser &parser)
{
	std::map<std::string, std::string> parenthesized;
	for (const auto &[name, sql] : replacements)
		parenthesized[name] = "(" + sql + "\n)";   // (a -- comment at its end must not swallow the parenthesis)
	return replace_references(expression, parser, [&](const std::string &name) -> const std::string * {
		auto found = parenthesized.find(name);
		return found == parenthesized.end() ? nullptr : &found->second;
	});
}

}  // namespace pgshift
