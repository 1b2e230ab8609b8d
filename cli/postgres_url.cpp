#include "postgres_url.hpp"

#include <cctype>
#include <vector>

namespace pgshift::cli {

namespace {

bool is_uri(const std::string &conninfo) {
	return conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
}

// search_path value: an identifier that needs it gets double quotes, as in SET search_path.
std::string search_path_value(const std::string &schema) {
	bool plain = !schema.empty() && !std::isdigit(static_cast<unsigned char>(schema[0]));
	for (char c : schema)
		if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
			plain = false;
	if (plain)
		return schema;
	std::string quoted = "\"";
	for (char c : schema) {
		if (c == '"')
			quoted += '"';
		quoted += c;
	}
	return quoted + "\"";
}

// The server splits `options` on spaces unless escaped with a backslash.
std::string options_value(const std::string &schema) {
	std::string value = "-c search_path=";
	for (char c : search_path_value(schema)) {
		if (c == ' ' || c == '\\')
			value += '\\';
		value += c;
	}
	return value;
}

}  // namespace

std::string percent_encode(const std::string &text) {
	static const char hex[] = "0123456789ABCDEF";
	std::string encoded;
	for (unsigned char c : text) {
		if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			encoded += static_cast<char>(c);
		} else {
			encoded += '%';
			encoded += hex[c >> 4];
			encoded += hex[c & 15];
		}
	}
	return encoded;
}

std::string with_search_path(const std::string &conninfo, const std::string &schema) {
	const std::string options = options_value(schema);
	if (!is_uri(conninfo)) {
		// key=value form: a single-quoted value, with \ and ' escaped.
		std::string quoted = "'";
		for (char c : options) {
			if (c == '\'' || c == '\\')
				quoted += '\\';
			quoted += c;
		}
		quoted += "'";
		return conninfo.empty() ? "options=" + quoted : conninfo + " options=" + quoted;
	}
	std::string base = conninfo, fragment;
	if (const size_t hash = base.find('#'); hash != std::string::npos) {
		fragment = base.substr(hash);
		base.erase(hash);
	}
	std::string query;
	if (const size_t question = base.find('?'); question != std::string::npos) {
		query = base.substr(question + 1);
		base.erase(question);
	}
	std::vector<std::string> kept;
	size_t start = 0;
	while (start <= query.size() && !query.empty()) {
		size_t end = query.find('&', start);
		if (end == std::string::npos)
			end = query.size();
		std::string parameter = query.substr(start, end - start);
		if (!parameter.empty() && parameter.rfind("options=", 0) != 0 && parameter != "options")
			kept.push_back(parameter);
		start = end + 1;
	}
	kept.push_back("options=" + percent_encode(options));
	std::string url = base + "?";
	for (size_t i = 0; i < kept.size(); ++i)
		url += (i > 0 ? "&" : "") + kept[i];
	return url + fragment;
}

std::string url_from_parameters(const std::string &user, const std::string &host, const std::string &port,
                                const std::string &dbname) {
	std::string url = "postgresql://";
	if (!user.empty())
		url += percent_encode(user) + "@";
	// An IPv6 address goes in brackets; a socket directory is percent-encoded.
	url += host.find(':') != std::string::npos && host[0] != '/' ? "[" + host + "]" : percent_encode(host);
	if (!port.empty())
		url += ":" + port;
	return url + "/" + percent_encode(dbname);
}

}  // namespace pgshift::cli
