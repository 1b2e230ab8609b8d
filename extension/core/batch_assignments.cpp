#include "core/batch_assignments.hpp"

namespace pgshift {

bool batch_can_compute(const std::vector<BatchAssignment> &assignments)
{
	if (assignments.empty())
		return false;
	std::set<int> written;
	for (const BatchAssignment &assignment : assignments) {
		if (assignment.trigger_only || written.count(assignment.target) != 0)
			return false;
		for (int column : assignment.reads)
			if (written.count(column) != 0)
				return false;
		written.insert(assignment.target);
	}
	return true;
}

namespace {

// The length of the quoted identifier at `from` (`"a""b"`), or 0.
std::size_t quoted_identifier_length(const std::string &text, std::size_t from)
{
	if (from >= text.size() || text[from] != '"')
		return 0;
	for (std::size_t i = from + 1; i < text.size(); i++) {
		if (text[i] != '"')
			continue;
		if (i + 1 < text.size() && text[i + 1] == '"') {
			i++;
			continue;
		}
		return i + 1 - from;
	}
	return 0;
}

}  // namespace

std::optional<TextSpan> no_op_assignment(const std::string &statement)
{
	const std::string marker = " _pgshift_t SET ";
	std::size_t at = statement.find(marker);
	if (at == std::string::npos || statement.find(marker, at + 1) != std::string::npos)
		return std::nullopt;
	std::size_t column = at + marker.size();
	std::size_t length = quoted_identifier_length(statement, column);
	if (length == 0)
		return std::nullopt;
	const std::string name = statement.substr(column, length);
	const std::string touch = name + " = _pgshift_t." + name;
	if (statement.compare(column, touch.size() + 7, touch + " WHERE ") != 0)
		return std::nullopt;
	return TextSpan{column, touch.size()};
}

}  // namespace pgshift
