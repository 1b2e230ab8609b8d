// pgshift: the command-line client. It parses arguments, then runs one command; the migration logic
// itself lives in the database (the pgshift extension), so commands are thin calls to its functions.
//
// Exit codes: 0 success, 1 any runtime or database error, 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands/commands.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "session.hpp"

namespace {

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

void print_error(const pgshift::cli::Failure &failure, bool verbose) {
	std::cerr << "Error: " << failure.what() << "\n";
	if (!failure.detail().empty())
		std::cerr << "DETAIL: " << failure.detail() << "\n";
	if (!failure.hint().empty())
		std::cerr << "HINT: " << failure.hint() << "\n";
	if (const auto *database = dynamic_cast<const pgshift::cli::DatabaseError *>(&failure))
		if (verbose && !database->sqlstate().empty())
			std::cerr << "SQLSTATE: " << database->sqlstate() << "\n";
	std::cerr << std::flush;
}

}  // namespace

int main(int argc, char **argv) {
	using namespace pgshift::cli;

	CLI::App app{"pgshift: zero-downtime, reversible PostgreSQL schema migrations (pgroll-compatible files)", "pgshift"};
	app.set_version_flag("--version", std::string("pgshift ") + cli_version(), "Print the version and exit");
	// Global options may also follow the subcommand (pgshift start f.yaml --schema app); subcommands added
	// after this inherit it.
	app.fallthrough();
	app.failure_message([](const CLI::App *, const CLI::Error &error) {
		return std::string("Error: ") + error.what() + "\nRun with --help for more information.\n";
	});

	GlobalOptions options;
	add_global_options(app, options);
	Commands commands;
	add_init(app, commands);
	add_start(app, commands);
	add_complete(app, commands);
	add_rollback(app, commands);
	add_status(app, commands);
	add_latest(app, commands);
	add_migrate(app, commands);
	add_validate(app, commands);
	add_pull(app, commands);
	add_baseline(app, commands);
	add_backfill_configure(app, commands);

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &error) {
		// --help and --version exit 0; every parse error is a usage error, whatever CLI11's own code.
		return app.exit(error) == 0 ? 0 : exit_usage;
	}

	interrupt::install();
	for (const Command &command : commands) {
		if (!command.app->parsed())
			continue;
		try {
			command.run(options);
			return 0;
		} catch (const Failure &failure) {
			print_error(failure, options.verbose);
		} catch (const std::exception &error) {
			std::cerr << "Error: " << error.what() << std::endl;
		}
		return exit_failure;
	}
	// No leaf command: none at all, or a group (latest) without its subcommand. Checked here rather than
	// with require_subcommand, whose error would hide "unknown command" behind "a subcommand is required".
	const CLI::App *group = &app;
	while (!group->get_subcommands().empty())
		group = group->get_subcommands().front();
	std::cerr << "Error: " << (group == &app ? std::string("pgshift") : "pgshift " + group->get_name())
	          << " needs a command:";
	for (const CLI::App *sub : group->get_subcommands({}))
		std::cerr << " " << sub->get_name();
	std::cerr << "\nRun with --help for more information." << std::endl;
	return exit_usage;
}
