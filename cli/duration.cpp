#include "duration.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace pgshift::cli {

namespace {

// Longest first, so "ms" wins over "m" and "ns" is not read as a number followed by junk.
const std::pair<const char *, std::int64_t> units[] = {
	{"ns", 1},
	{"us", 1000},
	{"\xC2\xB5s", 1000},   // U+00B5 micro sign
	{"\xCE\xBCs", 1000},   // U+03BC Greek small letter mu
	{"ms", 1000 * 1000},
	{"s", 1000 * 1000 * 1000},
	{"m", 60LL * 1000 * 1000 * 1000},
	{"h", 3600LL * 1000 * 1000 * 1000},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void invalid(const std::string &text, const std::string &why) {
	throw std::invalid_argument("invalid duration \"" + text + "\": " + why);
}

// The unit at `at` (the longest that matches), or throws.
std::int64_t read_unit(const std::string &text, size_t &at) {
	size_t end = at;
	while (end < text.size() && text[end] != '.' && !is_digit(text[end]))
		++end;
	const std::string unit = text.substr(at, end - at);
	if (unit.empty())
		invalid(text, "missing unit (ns, us, ms, s, m or h)");
	for (const auto &[name, nanoseconds] : units)
		if (unit == name) {
			at = end;
			return nanoseconds;
		}
	invalid(text, "unknown unit \"" + unit + "\" (ns, us, ms, s, m or h)");
}

}  // namespace

std::chrono::nanoseconds parse_go_duration(const std::string &text) {
	size_t at = 0;
	bool negative = false;
	if (at < text.size() && (text[at] == '-' || text[at] == '+'))
		negative = text[at++] == '-';
	if (text.substr(at) == "0")
		return std::chrono::nanoseconds(0);
	if (at == text.size())
		invalid(text, "empty");
	// Nanoseconds as a long double: exact for any whole count below 2^64, enough for the range check.
	long double total = 0;
	while (at < text.size()) {
		const size_t number_start = at;
		long double whole = 0;
		while (at < text.size() && is_digit(text[at]))
			whole = whole * 10 + (text[at++] - '0');
		long double fraction = 0, scale = 1;
		bool has_fraction_digits = false;
		if (at < text.size() && text[at] == '.') {
			++at;
			while (at < text.size() && is_digit(text[at])) {
				fraction = fraction * 10 + (text[at++] - '0');
				scale *= 10;
				has_fraction_digits = true;
			}
		}
		const bool has_whole_digits = at > number_start && is_digit(text[number_start]);
		if (!has_whole_digits && !has_fraction_digits)
			invalid(text, "expected a number");
		const std::int64_t unit = read_unit(text, at);
		total += (whole + fraction / scale) * unit;
		if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
			throw std::out_of_range("duration \"" + text + "\" is too long");
	}
	const auto nanoseconds = static_cast<std::int64_t>(total);
	return std::chrono::nanoseconds(negative ? -nanoseconds : nanoseconds);
}

long long whole_milliseconds_rounded_up(std::chrono::nanoseconds duration) {
	const long long nanoseconds = duration.count();
	const long long per_millisecond = 1000 * 1000;
	long long milliseconds = nanoseconds / per_millisecond;
	if (nanoseconds % per_millisecond > 0)
		++milliseconds;
	return milliseconds;
}

}  // namespace pgshift::cli
