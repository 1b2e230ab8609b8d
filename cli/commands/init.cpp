// pgshift init: installs the extension (which creates schema pgshift and its state table).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "advisory_lock.hpp"
#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "errors.hpp"
#include "extension_versions.hpp"
#include "lock_timeout.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct InitOptions {
	double lock_wait_seconds = 0;
};

void run_init(const GlobalOptions &options, const InitOptions &init) {
	require_extension_schema_flag(options);
	Connection conn = open_session(options);
	// Two concurrent inits would race on CREATE EXTENSION; the extension may not exist yet, so this is the
	// run lock's first key with a fixed second one.
	AdvisoryLock lock = AdvisoryLock::for_init(options, init.lock_wait_seconds);
	const std::optional<std::string> installed = installed_extension_version(conn);
	if (installed)
		if (std::optional<std::string> refusal =
		        version_refusal("the pgshift extension already installed in this database", *installed, cli_version()))
			throw Failure(*refusal);
	if (!installed)
		// This CLI's version exactly: a different default version on the server would give an extension
		// this CLI then refuses to drive. (CMakeLists.txt checks the version is safe inside the literal.)
		query_with_lock_timeout(conn, options,
		                        std::string("CREATE EXTENSION IF NOT EXISTS pgshift VERSION '") + cli_version() + "'");
	require_extension(conn, options);
	std::cout << "pgshift initialized (extension " << installed_extension_version(conn).value_or(cli_version()) << ")"
	          << std::endl;
}

}  // namespace

void add_init(CLI::App &root, Commands &commands) {
	auto init = std::make_shared<InitOptions>();
	CLI::App *command = root.add_subcommand("init", "Initialize pgshift in the database (CREATE EXTENSION pgshift)");
	add_lock_wait_option(*command, init->lock_wait_seconds);
	commands.push_back({command, [init](const GlobalOptions &options) { run_init(options, *init); }});
}

}  // namespace pgshift::cli
