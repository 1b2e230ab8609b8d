#include "migration_file.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "errors.hpp"

namespace pgshift::cli {

using json = nlohmann::ordered_json;

namespace {

// --- plain YAML scalars (YAML 1.2 core schema, as JSON types) -------------------------------------

bool all_of(const std::string &text, size_t from, bool (*accept)(char)) {
	if (from >= text.size())
		return false;
	for (size_t i = from; i < text.size(); ++i)
		if (!accept(text[i]))
			return false;
	return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_sign(char c) { return c == '-' || c == '+'; }

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_core_float(const std::string &text) {
	size_t i = 0;
	if (i < text.size() && is_sign(text[i]))
		++i;
	size_t integer_digits = 0, fraction_digits = 0;
	while (i < text.size() && is_digit(text[i]))
		++i, ++integer_digits;
	if (i < text.size() && text[i] == '.') {
		++i;
		while (i < text.size() && is_digit(text[i]))
			++i, ++fraction_digits;
	}
	if (integer_digits == 0 && fraction_digits == 0)
		return false;
	if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
		++i;
		if (i < text.size() && is_sign(text[i]))
			++i;
		size_t exponent_digits = 0;
		while (i < text.size() && is_digit(text[i]))
			++i, ++exponent_digits;
		if (exponent_digits == 0)
			return false;
	}
	return i == text.size();
}

// An integer that may not fit 64 bits still becomes a number, like a JSON parser would make it.
json integer(const std::string &digits, int base, bool negative) {
	if (negative) {
		long long value = 0;
		const std::string text = "-" + digits;
		auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
		if (error == std::errc() && end == text.data() + text.size())
			return value;
	} else {
		unsigned long long value = 0;
		auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
		if (error == std::errc() && end == digits.data() + digits.size()) {
			if (value <= static_cast<unsigned long long>(INT64_MAX))
				return static_cast<long long>(value);
			return value;
		}
	}
	double value = 0;
	for (char c : digits)
		value = value * base + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
	return negative ? -value : value;
}

json plain_scalar(const std::string &text) {
	if (text == "true" || text == "True" || text == "TRUE")
		return true;
	if (text == "false" || text == "False" || text == "FALSE")
		return false;
	if (text == "null" || text == "Null" || text == "NULL" || text == "~" || text.empty())
		return nullptr;
	const size_t unsigned_start = !text.empty() && is_sign(text[0]) ? 1 : 0;
	if (all_of(text, unsigned_start, is_digit))
		return integer(text.substr(unsigned_start), 10, text[0] == '-');
	if (text.rfind("0o", 0) == 0 && all_of(text, 2, is_octal))
		return integer(text.substr(2), 8, false);
	if (text.rfind("0x", 0) == 0 && all_of(text, 2, is_hex))
		return integer(text.substr(2), 16, false);
	if (is_core_float(text))
		return std::strtod(text.c_str(), nullptr);
	// .inf and .nan have no JSON form; they stay strings like every other plain scalar.
	return text;
}

// --- YAML nodes -> JSON ---------------------------------------------------------------------------

class YamlConverter {
public:
	explicit YamlConverter(std::string source) : source_(std::move(source)) {}

	json convert(const YAML::Node &node) const {
		const std::string &tag = node.Tag();
		switch (node.Type()) {
		case YAML::NodeType::Null:
		case YAML::NodeType::Undefined:
			return tag == str_tag ? json("") : json(nullptr);
		case YAML::NodeType::Scalar:
			// "!" marks quoted and block (| >) scalars: always strings, as are explicit !!str ones.
			if (tag == "!" || tag == str_tag)
				return node.Scalar();
			return plain_scalar(node.Scalar());
		case YAML::NodeType::Sequence: {
			json array = json::array();
			for (const YAML::Node &item : node)
				array.push_back(convert(item));
			return array;
		}
		case YAML::NodeType::Map: {
			json object = json::object();
			std::set<std::string> seen;
			for (const auto &entry : node) {
				if (!entry.first.IsScalar())
					fail(entry.first.Mark(), "mapping keys must be strings");
				const std::string key = entry.first.Scalar();
				// pgroll reads YAML strictly, which rejects a key given twice; silently keeping one
				// of them would apply a migration the user did not read.
				if (!seen.insert(key).second)
					fail(entry.first.Mark(), "duplicate key \"" + key + "\"");
				object[key] = convert(entry.second);
			}
			return object;
		}
		}
		return nullptr;
	}

	[[noreturn]] void fail(const YAML::Mark &mark, const std::string &message) const {
		std::ostringstream text;
		text << "cannot parse migration file \"" << source_ << "\": ";
		if (!mark.is_null())
			text << "line " << mark.line + 1 << ", column " << mark.column + 1 << ": ";
		text << message;
		throw Failure(text.str());
	}

private:
	static constexpr const char *str_tag = "tag:yaml.org,2002:str";
	std::string source_;
};

std::string lower_extension(const std::string &path) {
	const size_t slash = path.find_last_of('/');
	const size_t dot = path.find_last_of('.');
	if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
		return "";
	std::string extension = path.substr(dot);
	for (char &c : extension)
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	return extension;
}

std::string read_whole_file(const std::string &path) {
	std::error_code ignored;
	if (std::filesystem::is_directory(path, ignored))
		throw Failure("cannot read migration file \"" + path + "\": it is a directory");
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw Failure("cannot read migration file \"" + path + "\": " + std::strerror(errno));
	std::ostringstream content;
	content << in.rdbuf();
	if (in.bad())
		throw Failure("cannot read migration file \"" + path + "\": " + std::strerror(errno));
	return content.str();
}

json parse_json(const std::string &text, const std::string &source) {
	try {
		return json::parse(text);
	} catch (const json::parse_error &error) {
		// what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."; keep the part
		// after the library's tag.
		std::string message = error.what();
		const size_t tag_end = message.find("] ");
		if (tag_end != std::string::npos)
			message = message.substr(tag_end + 2);
		throw Failure("cannot parse migration file \"" + source + "\": " + message);
	}
}

}  // namespace

json yaml_to_json(const std::string &text, const std::string &source) {
	YamlConverter converter(source);
	YAML::Node root;
	try {
		root = YAML::Load(text);
	} catch (const YAML::Exception &error) {
		converter.fail(error.mark, error.msg);
	}
	return converter.convert(root);
}

std::string migration_name_from_path(const std::string &path) {
	const size_t slash = path.find_last_of('/');
	std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
	const size_t dot = base.find_last_of('.');
	if (dot != std::string::npos && dot > 0)
		base.erase(dot);
	return base;
}

MigrationFile read_migration_file(const std::string &path) {
	const std::string extension = lower_extension(path);
	if (extension != ".json" && extension != ".yaml" && extension != ".yml")
		throw Failure("migration file \"" + path + "\" must end in .json, .yaml or .yml");
	const std::string text = read_whole_file(path);

	MigrationFile file;
	file.path = path;
	file.body = extension == ".json" ? parse_json(text, path) : yaml_to_json(text, path);
	if (!file.body.is_object())
		throw Failure("migration file \"" + path + "\" must contain an object with \"operations\" at the top level");

	// The file's own "name" wins (pgroll's older format allowed it); otherwise the file name, as pgroll.
	if (file.body.contains("name")) {
		if (!file.body["name"].is_string() || file.body["name"].get<std::string>().empty())
			throw Failure("migration file \"" + path + "\": \"name\" must be a non-empty string");
		file.name = file.body["name"].get<std::string>();
	} else {
		file.name = migration_name_from_path(path);
		if (file.name.empty())
			throw Failure("cannot derive a migration name from the file name \"" + path + "\"");
		file.body["name"] = file.name;
	}

	// Sending it needs valid UTF-8; say so here, naming the file, rather than fail later.
	try {
		(void)file.body.dump();
	} catch (const json::type_error &) {
		throw Failure("migration file \"" + path + "\" is not valid UTF-8");
	}
	return file;
}

}  // namespace pgshift::cli
