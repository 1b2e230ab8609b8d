#include "migration_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.hpp"
#include "migration_directory.hpp"
#include "migration_file.hpp"

namespace pgshift::cli {

using json = nlohmann::ordered_json;

namespace {

// --- which strings may be written plain ----------------------------------------------------------

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string text) {
	for (char &c : text)
		if (c >= 'A' && c <= 'Z')
			c = static_cast<char>(c - 'A' + 'a');
	return text;
}

// Deliberately narrow, so that every YAML reader (ours: YAML 1.2 core; pgroll's: YAML 1.1) reads a
// plain scalar as this very string: it starts with a letter, '_' or '(' (never a digit, sign or dot, so
// never a number, date or .inf), holds no character that means something in YAML (: # ' " [ { & * ! |
// > % @ `), and is none of the words that read as booleans or null.
bool can_be_plain(const std::string &text) {
	if (text.empty() || !(is_letter(text[0]) || text[0] == '_' || text[0] == '('))
		return false;
	if (text.back() == ' ')
		return false;
	for (char c : text)
		if (!(is_letter(c) || is_digit(c) || c == '_' || c == ' ' || c == '.' || c == '(' || c == ')' || c == '/' ||
		      c == '+' || c == ',' || c == '-'))
			return false;
	static const char *const reserved[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"};
	const std::string lowered = lower(text);
	for (const char *word : reserved)
		if (lowered == word)
			return false;
	return true;
}

std::string double_quoted(const std::string &text) {
	// A JSON string is a valid YAML double-quoted scalar with the same escapes.
	return json(text).dump(-1, ' ', false, json::error_handler_t::strict);
}

std::string spaces(size_t count) { return std::string(count, ' '); }

// A multi-line string as a literal block (|), indented by `indent`; empty when it cannot be one.
std::string literal_block(const std::string &text, size_t indent) {
	if (text.find('\n') == std::string::npos)
		return "";
	for (unsigned char c : text)
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return "";
	// The first non-empty line fixes the block's indentation, so it may not start with blanks.
	const size_t first = text.find_first_not_of('\n');
	if (first == std::string::npos || text[first] == ' ' || text[first] == '\t')
		return "";

	size_t trailing_newlines = 0;
	while (trailing_newlines < text.size() && text[text.size() - 1 - trailing_newlines] == '\n')
		++trailing_newlines;
	const std::string content = text.substr(0, text.size() - trailing_newlines);
	std::string block = trailing_newlines == 0 ? "|-\n" : trailing_newlines == 1 ? "|\n" : "|+\n";
	size_t start = 0;
	while (true) {
		const size_t end = content.find('\n', start);
		const std::string line = content.substr(start, end == std::string::npos ? std::string::npos : end - start);
		block += line.empty() ? "\n" : spaces(indent) + line + "\n";
		if (end == std::string::npos)
			break;
		start = end + 1;
	}
	for (size_t i = 1; i < trailing_newlines; ++i)
		block += "\n";

	// Trailing blanks on the last line and the like have rules of their own: keep a block only when it
	// reads back as the same string.
	try {
		const json read = yaml_to_json("k: " + block, "(literal block)");
		if (read.is_object() && read.contains("k") && read["k"] == text)
			return block;
	} catch (const Failure &) {
	}
	return "";
}

// --- block-style emitter -----------------------------------------------------------------------------

std::string key_text(const std::string &key) { return can_be_plain(key) ? key : double_quoted(key); }

void emit_block(std::string &out, const json &value, size_t indent);

// What follows "key:" or "-": a scalar on the same line, or a nested block on the next lines at `indent`.
void emit_after_indicator(std::string &out, const json &value, size_t indent) {
	if (value.is_object() || value.is_array()) {
		if (value.empty()) {
			out += value.is_object() ? " {}\n" : " []\n";
			return;
		}
		out += "\n";
		emit_block(out, value, indent);
		return;
	}
	if (value.is_string()) {
		const std::string &text = value.get_ref<const std::string &>();
		if (can_be_plain(text)) {
			out += " " + text + "\n";
			return;
		}
		const std::string block = literal_block(text, indent);
		out += " " + (block.empty() ? double_quoted(text) + "\n" : block);
		return;
	}
	out += " " + value.dump() + "\n";   // number, boolean or null: the same token in YAML
}

void emit_block(std::string &out, const json &value, size_t indent) {
	if (value.is_object()) {
		for (const auto &[key, item] : value.items()) {
			out += spaces(indent) + key_text(key) + ":";
			emit_after_indicator(out, item, indent + 2);
		}
		return;
	}
	for (const json &item : value) {
		if ((item.is_object() || item.is_array()) && !item.empty()) {
			// The item's block, with its first line's indentation turned into "- " (compact notation).
			std::string nested;
			emit_block(nested, item, indent + 2);
			out += spaces(indent) + "- " + nested.substr(indent + 2);
		} else {
			out += spaces(indent) + "-";
			emit_after_indicator(out, item, indent + 2);
		}
	}
}

// Objects with "name" first (how people write them), everything else in the order given.
json name_first(const json &value) {
	if (value.is_array()) {
		json array = json::array();
		for (const json &item : value)
			array.push_back(name_first(item));
		return array;
	}
	if (!value.is_object())
		return value;
	json object = json::object();
	if (value.contains("name"))
		object["name"] = value["name"];
	for (const auto &[key, item] : value.items())
		if (key != "name")
			object[key] = name_first(item);
	return object;
}

}  // namespace

json migration_file_body(const json &stored) {
	json body = json::object();
	if (stored.contains("version_schema"))
		body["version_schema"] = stored["version_schema"];
	body["operations"] = name_first(stored.value("operations", json::array()));
	for (const auto &[key, item] : stored.items())
		if (key != "name" && !body.contains(key))
			body[key] = name_first(item);
	return body;
}

std::string to_yaml(const json &value) {
	std::string text;
	if (value.is_object() && !value.empty())
		emit_block(text, value, 0);
	else
		text = value.dump() + "\n";
	try {
		// Key order aside (ordered_json compares it), the file must read back as exactly `value`.
		if (nlohmann::json(yaml_to_json(text, "(generated YAML)")) == nlohmann::json(value))
			return text;
	} catch (const Failure &) {
	}
	return value.dump(2, ' ', false, json::error_handler_t::strict) + "\n";
}

void check_migration_file_name(const std::string &name) {
	if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
	    name.find('\0') != std::string::npos)
		throw Failure("migration name \"" + name + "\" cannot be used as a file name");
}

std::string write_migration_file(const std::string &dir, const std::string &name, const json &body, bool as_json) {
	check_migration_file_name(name);
	const std::string text = as_json ? body.dump(2, ' ', false, json::error_handler_t::strict) + "\n" : to_yaml(body);
	const std::string path = path_in(dir, name + (as_json ? ".json" : ".yaml"));
	// "x": never replace a file that is already there.
	std::FILE *file = std::fopen(path.c_str(), "wx");
	if (file == nullptr)
		throw Failure("cannot create \"" + path + "\": " + std::strerror(errno));
	const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
	const int write_errno = errno;
	if (std::fclose(file) != 0 || !written) {
		const int error = written ? errno : write_errno;
		std::remove(path.c_str());
		throw Failure("cannot write \"" + path + "\": " + std::strerror(error));
	}
	return path;
}

}  // namespace pgshift::cli
