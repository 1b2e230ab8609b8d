// pgshift latest schema|migration|url: the newest version schema, migration name, or a connection URL
// whose search_path is the newest version schema (for applications to connect with).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "errors.hpp"
#include "postgres_url.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct LatestOptions {
	std::string local_dir;    // --local: read the answer from migration files instead of the database
	std::string connection;   // latest url [connection]
};

void refuse_local(const LatestOptions &latest) {
	if (!latest.local_dir.empty())
		throw Failure("--local is not supported yet; run without it to ask the database");
}

std::string latest_version_schema(Connection &conn, const GlobalOptions &options) {
	const auto version = conn.query("SELECT " + state_function(conn, options, "latest_version($1)"), {options.schema}).scalar();
	if (!version)
		throw Failure("no version schemas found for schema \"" + options.schema + "\"");
	return *version;
}

void run_latest_schema(const GlobalOptions &options, const LatestOptions &latest) {
	refuse_local(latest);
	Connection conn = open_session(options);
	require_extension(conn, options);
	std::cout << latest_version_schema(conn, options) << std::endl;
}

void run_latest_migration(const GlobalOptions &options, const LatestOptions &latest) {
	refuse_local(latest);
	Connection conn = open_session(options);
	require_extension(conn, options);
	const auto name = conn.query("SELECT " + state_function(conn, options, "latest_migration($1)"), {options.schema}).scalar();
	if (!name)
		throw Failure("no migrations found for schema \"" + options.schema + "\"");
	std::cout << *name << std::endl;
}

void run_latest_url(const GlobalOptions &options, const LatestOptions &latest) {
	refuse_local(latest);
	Connection conn = open_session(options);
	require_extension(conn, options);
	const std::string version_schema = latest_version_schema(conn, options);
	// The given connection string, else --postgres-url, else the PG* environment as libpq resolved it.
	std::string base = latest.connection;
	if (base.empty())
		base = options.postgres_url;
	if (base.empty())
		base = url_from_parameters(conn.user(), conn.host(), conn.port(), conn.database());
	std::cout << with_search_path(base, version_schema) << std::endl;
}

CLI::App *add_latest_command(CLI::App &latest, const char *name, const char *description, LatestOptions &options) {
	CLI::App *command = latest.add_subcommand(name, description);
	command->add_option("-l,--local", options.local_dir, "Read the latest migration from this directory of files (not supported yet)");
	return command;
}

}  // namespace

void add_latest(CLI::App &root, Commands &commands) {
	auto latest = std::make_shared<LatestOptions>();
	CLI::App *group = root.add_subcommand("latest", "Print the name of the latest schema version or migration");

	CLI::App *schema = add_latest_command(*group, "schema", "Print the latest version schema name", *latest);
	commands.push_back({schema, [latest](const GlobalOptions &options) { run_latest_schema(options, *latest); }});

	CLI::App *migration = add_latest_command(*group, "migration", "Print the latest migration name", *latest);
	commands.push_back({migration, [latest](const GlobalOptions &options) { run_latest_migration(options, *latest); }});

	CLI::App *url = add_latest_command(*group, "url", "Print a database connection URL for the latest schema version", *latest);
	url->add_option("connection", latest->connection,
	                "Connection URL or string to extend (default: --postgres-url, else the PG* environment)");
	commands.push_back({url, [latest](const GlobalOptions &options) { run_latest_url(options, *latest); }});
}

}  // namespace pgshift::cli
