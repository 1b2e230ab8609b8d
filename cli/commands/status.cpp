// pgshift status: the state of the schema's migrations, as pretty JSON like pgroll's.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

void run_status(const GlobalOptions &options) {
	Connection conn = open_session(options);
	require_extension(conn, options);
	const auto status = call_json_function(conn, options, "status($1)", {options.schema});
	// jsonb sorts keys by length; print pgroll's order (schema, version, status), then anything else.
	nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
	for (const char *key : {"schema", "version", "status"})
		if (status.contains(key))
			ordered[key] = status[key];
	for (const auto &[key, value] : status.items())
		if (!ordered.contains(key))
			ordered[key] = value;
	std::cout << ordered.dump(2) << std::endl;
}

}  // namespace

void add_status(CLI::App &root, Commands &commands) {
	CLI::App *command = root.add_subcommand("status", "Show pgshift status");
	commands.push_back({command, run_status});
}

}  // namespace pgshift::cli
