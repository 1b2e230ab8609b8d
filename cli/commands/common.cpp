#include "commands/common.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "errors.hpp"
#include "lock_retry.hpp"
#include "lock_timeout.hpp"
#include "session.hpp"

namespace pgshift::cli {

void add_lock_wait_option(CLI::App &command, double &seconds) {
	command.add_option("--lock-wait-timeout", seconds,
	                   "Seconds to wait for another pgshift run on the same schema to finish (0: no limit)")
		->envname("PGSHIFT_LOCK_WAIT_TIMEOUT")
		->check(non_negative())
		->capture_default_str();
}

nlohmann::ordered_json call_json_function(Connection &conn, const GlobalOptions &options, const std::string &call,
                                          const std::vector<Param> &params) {
	return with_lock_retries(options, [&] {
		const std::optional<std::string> result =
			query_with_lock_timeout(conn, options, "SELECT " + state_function(conn, options, call), params).scalar();
		if (!result)
			throw Failure("pgshift." + call.substr(0, call.find('(')) + "() returned NULL");
		return nlohmann::ordered_json::parse(*result);
	});
}

void print_warnings(const std::vector<std::string> &warnings) {
	for (const std::string &warning : warnings)
		std::cerr << "warning: " << warning << "\n";
	std::cerr << std::flush;
}

void complete_and_report(Connection &conn, const GlobalOptions &options) {
	const auto result = call_json_function(conn, options, "complete($1)", {options.schema});
	std::cout << "Migration successful! (\"" << result.value("name", "") << "\" completed)" << std::endl;
}

}  // namespace pgshift::cli
