#include "core/expression_columns.hpp"

#include <algorithm>

#include "core/sql_text.hpp"

namespace pgshift {

std::string rename_columns(const std::string &expression, const std::map<std::string, std::string> &renames,
                           const ExpressionParser &parser)
{
	auto references = parser.column_references(expression);
	// Replace from the end so earlier offsets stay valid.
	std::sort(references.begin(), references.end(),
	          [](const ColumnReference &a, const ColumnReference &b) { return a.offset > b.offset; });
	std::string renamed = expression;
	for (const auto &reference : references) {
		auto rename = renames.find(reference.name);
		if (rename != renames.end())
			renamed.replace(reference.offset, reference.length, quote_ident(rename->second));
	}
	return renamed;
}

}  // namespace pgshift
