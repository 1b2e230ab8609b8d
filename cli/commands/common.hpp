// Pieces several commands share: the --lock-wait-timeout option, calling the extension's functions,
// warnings.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "connection.hpp"
#include "options.hpp"

namespace CLI {
class App;
}

namespace pgshift::cli {

// --lock-wait-timeout SECONDS on a state-changing command (0: wait as long as it takes).
void add_lock_wait_option(CLI::App &command, double &seconds);

// SELECT pgshift.<call>, e.g. call = "start($1, $2::jsonb)", for the functions that return jsonb: in a
// transaction of its own with --lock-timeout, retried after a lock timeout (--lock-retries).
nlohmann::ordered_json call_json_function(Connection &conn, const GlobalOptions &options, const std::string &call,
                                          const std::vector<Param> &params);

// Prints each warning on stderr as "warning: <text>".
void print_warnings(const std::vector<std::string> &warnings);

// Completes the active migration of --schema and prints pgroll's success line. For complete and start -c.
void complete_and_report(Connection &conn, const GlobalOptions &options);

}  // namespace pgshift::cli
