// Building the connection string `pgshift latest url` prints: the user's URL, or one rebuilt from the
// live connection, with the latest version schema as the session's search_path (as pgroll does).
#pragma once
#include <string>

namespace pgshift::cli {

// Adds options=-c search_path=<schema> to a postgres:// URL (replacing any options parameter) or to a
// key=value connection string.
std::string with_search_path(const std::string &conninfo, const std::string &schema);

// postgresql://user@host:port/dbname from connection parameters (a socket directory host is
// percent-encoded, which libpq accepts). Never includes a password.
std::string url_from_parameters(const std::string &user, const std::string &host, const std::string &port,
                                const std::string &dbname);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(const std::string &text);

}  // namespace pgshift::cli
