// pgshift latest schema|migration|url: the newest version schema, migration name, or a connection URL
// whose search_path is the newest version schema (for applications to connect with). With --local DIR
// the answer comes from the last migration file of DIR instead of the database.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "commands/common.hpp"
#include "errors.hpp"
#include "migration_directory.hpp"
#include "migration_file.hpp"
#include "postgres_url.hpp"
#include "session.hpp"

namespace pgshift::cli {

namespace {

struct LatestOptions {
	std::string local_dir;    // --local: read the answer from migration files instead of the database
	std::string connection;   // latest url [connection]
};

// The last migration of DIR, in the order migrate applies them (.ledger, else file names).
MigrationFile last_local_migration(const std::string &dir) {
	const MigrationDirectory directory = collect_migration_files(dir);
	print_warnings(directory.warnings);
	if (directory.files.empty())
		throw Failure("no migration files found in \"" + dir + "\"");
	return read_migration_file(directory.files.back());
}

// <schema>_<version_schema or name>, the version schema start creates for that migration.
std::string local_version_schema(const GlobalOptions &options, const std::string &dir) {
	const MigrationFile last = last_local_migration(dir);
	const auto version_schema = last.body.find("version_schema");
	if (version_schema != last.body.end() && version_schema->is_string())
		return options.schema + "_" + version_schema->get<std::string>();
	return options.schema + "_" + last.name;
}

// What libpq would connect to from the PG* environment, without connecting.
std::string url_from_environment() {
	PQconninfoOption *defaults = PQconndefaults();
	if (defaults == nullptr)
		throw Failure("cannot read the connection defaults: out of memory");
	std::string user, host, port, dbname;
	for (const PQconninfoOption *option = defaults; option->keyword != nullptr; ++option) {
		const std::string keyword = option->keyword, value = option->val != nullptr ? option->val : "";
		if (keyword == "user")
			user = value;
		else if (keyword == "host")
			host = value;
		else if (keyword == "port")
			port = value;
		else if (keyword == "dbname")
			dbname = value;
	}
	PQconninfoFree(defaults);
	return url_from_parameters(user, host, port, dbname.empty() ? user : dbname);
}

std::string latest_version_schema(Connection &conn, const GlobalOptions &options) {
	const auto version = conn.query("SELECT " + state_function(conn, options, "latest_version($1)"), {options.schema}).scalar();
	if (!version)
		throw Failure("no version schemas found for schema \"" + options.schema + "\"");
	return *version;
}

void run_latest_schema(const GlobalOptions &options, const LatestOptions &latest) {
	if (!latest.local_dir.empty()) {
		std::cout << local_version_schema(options, latest.local_dir) << std::endl;
		return;
	}
	Connection conn = open_session(options);
	require_extension(conn, options);
	std::cout << latest_version_schema(conn, options) << std::endl;
}

void run_latest_migration(const GlobalOptions &options, const LatestOptions &latest) {
	if (!latest.local_dir.empty()) {
		std::cout << last_local_migration(latest.local_dir).name << std::endl;
		return;
	}
	Connection conn = open_session(options);
	require_extension(conn, options);
	const auto name = conn.query("SELECT " + state_function(conn, options, "latest_migration($1)"), {options.schema}).scalar();
	if (!name)
		throw Failure("no migrations found for schema \"" + options.schema + "\"");
	std::cout << *name << std::endl;
}

void run_latest_url(const GlobalOptions &options, const LatestOptions &latest) {
	// The given connection string, else --postgres-url, else the PG* environment as libpq resolves it.
	std::string base = latest.connection;
	if (base.empty())
		base = options.postgres_url;
	if (!latest.local_dir.empty()) {
		const std::string version_schema = local_version_schema(options, latest.local_dir);
		std::cout << with_search_path(base.empty() ? url_from_environment() : base, version_schema) << std::endl;
		return;
	}
	Connection conn = open_session(options);
	require_extension(conn, options);
	const std::string version_schema = latest_version_schema(conn, options);
	if (base.empty())
		base = url_from_parameters(conn.user(), conn.host(), conn.port(), conn.database());
	std::cout << with_search_path(base, version_schema) << std::endl;
}

CLI::App *add_latest_command(CLI::App &latest, const char *name, const char *description, LatestOptions &options) {
	CLI::App *command = latest.add_subcommand(name, description);
	command->add_option("-l,--local", options.local_dir,
	                    "Take the answer from the last migration file of this directory (.ledger order, else file "
	                    "names) instead of the database");
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
