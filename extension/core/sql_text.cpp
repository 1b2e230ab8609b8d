#include "core/sql_text.hpp"

#include <cctype>

#include "core/error.hpp"

namespace pgshift {

std::string quote_ident(const std::string &name)
{
	std::string quoted = "\"";
	for (char c : name) {
		if (c == '"')
			quoted += '"';
		quoted += c;
	}
	return quoted + "\"";
}

std::string quote_qualified(const std::string &schema, const std::string &name)
{
	return quote_ident(schema) + "." + quote_ident(name);
}

std::string quote_literal(const std::string &value)
{
	// E'' form when a backslash is present, so the result means the same whatever
	// standard_conforming_strings is.
	bool has_backslash = value.find('\\') != std::string::npos;
	std::string quoted = has_backslash ? "E'" : "'";
	for (char c : value) {
		if (c == '\'' || (has_backslash && c == '\\'))
			quoted += c;
		quoted += c;
	}
	return quoted + "'";
}

std::string quote_ident_list(const std::vector<std::string> &names)
{
	std::string list;
	for (const auto &name : names) {
		if (!list.empty())
			list += ", ";
		list += quote_ident(name);
	}
	return list;
}

void check_identifier(const std::string &name, const std::string &what)
{
	if (name.empty())
		throw Error(sqlstate::invalid_migration, what + " must not be empty");
	if (name.find('\0') != std::string::npos)
		throw Error(sqlstate::invalid_migration, what + " \"" + name + "\" contains a NUL character");
	if (name.size() > max_identifier_bytes)
		throw Error(sqlstate::name_too_long,
		            what + " \"" + name + "\" is " + std::to_string(name.size()) +
		                " bytes long; PostgreSQL would truncate it to " + std::to_string(max_identifier_bytes),
		            "Use a shorter name.");
}

std::string to_upper(std::string text)
{
	for (auto &c : text)
		c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	return text;
}

bool starts_with_ci(const std::string &text, const std::string &prefix)
{
	if (text.size() < prefix.size())
		return false;
	return to_upper(text.substr(0, prefix.size())) == to_upper(prefix);
}

}  // namespace pgshift
