#include "extension_versions.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace pgshift::cli {

namespace {

std::vector<std::string> parts_of(const std::string &version) {
	std::vector<std::string> parts;
	std::string part;
	for (char c : version) {
		if (c == '.') {
			parts.push_back(part);
			part.clear();
		} else {
			part += c;
		}
	}
	parts.push_back(part);
	return parts;
}

bool is_number(const std::string &part) {
	return !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int compare_versions(const std::string &a, const std::string &b) {
	const std::vector<std::string> left = parts_of(a), right = parts_of(b);
	for (size_t i = 0; i < std::max(left.size(), right.size()); i++) {
		const std::string l = i < left.size() ? left[i] : "0", r = i < right.size() ? right[i] : "0";
		if (is_number(l) && is_number(r)) {
			const unsigned long ln = std::strtoul(l.c_str(), nullptr, 10), rn = std::strtoul(r.c_str(), nullptr, 10);
			if (ln != rn)
				return ln < rn ? -1 : 1;
		} else if (is_number(l) != is_number(r)) {
			return is_number(l) ? -1 : 1;
		} else if (l != r) {
			return l < r ? -1 : 1;
		}
	}
	return 0;
}

std::optional<std::string> version_refusal(const std::string &what, const std::string &installed,
                                           const std::string &cli_version) {
	if (compare_versions(installed, oldest_driven_extension_version) < 0)
		return what + " is version " + installed + ", older than this pgshift CLI (" + cli_version +
		       ") can drive (" + oldest_driven_extension_version + " to " + cli_version +
		       "); install the extension's files of version " + cli_version + " on the server, then run: ALTER EXTENSION pgshift UPDATE TO '" +
		       cli_version + "'";
	if (compare_versions(installed, cli_version) > 0)
		return what + " is version " + installed + ", newer than this pgshift CLI (" + cli_version +
		       "); use pgshift CLI " + installed + " or later";
	return std::nullopt;
}

}  // namespace pgshift::cli
