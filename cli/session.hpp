// Opening the database session every command uses, and the checks before driving the extension.
#pragma once
#include <string>

#include "connection.hpp"
#include "options.hpp"

namespace pgshift::cli {

// Connects, with the server's notices shown when verbose. Sets nothing on the session, so that it works
// through a transaction-pooling pooler.
Connection open_session(const GlobalOptions &options);

// The installed extension's version, or nothing when it is not installed.
std::optional<std::string> installed_extension_version(Connection &conn);

// Fails with a clear message unless the extension is installed in --pgshift-schema and both its SQL
// script (extversion) and its loaded library (version()) are this CLI's version.
void require_extension(Connection &conn, const GlobalOptions &options);

// Fails unless --pgshift-schema names the schema the extension always lives in.
void require_extension_schema_flag(const GlobalOptions &options);

// "pgshift".<function>, quoted, for calling the extension's SQL functions.
std::string state_function(Connection &conn, const GlobalOptions &options, const std::string &function);

// This CLI's version (from extension/pgshift.control at build time).
const char *cli_version();

}  // namespace pgshift::cli
