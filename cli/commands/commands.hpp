// The subcommands. Each add_<command> declares its subcommand and options on the root App and records
// what to run; main() runs it after parsing, so every failure goes through one error and exit-code path.
#pragma once
#include <functional>
#include <vector>

#include "options.hpp"

namespace CLI {
class App;
}

namespace pgshift::cli {

struct Command {
	CLI::App *app;                                      // the (leaf) subcommand
	std::function<void(const GlobalOptions &)> run;     // throws Failure on error
};
using Commands = std::vector<Command>;

void add_init(CLI::App &root, Commands &commands);
void add_start(CLI::App &root, Commands &commands);
void add_complete(CLI::App &root, Commands &commands);
void add_rollback(CLI::App &root, Commands &commands);
void add_status(CLI::App &root, Commands &commands);
void add_latest(CLI::App &root, Commands &commands);
void add_migrate(CLI::App &root, Commands &commands);
void add_validate(CLI::App &root, Commands &commands);
void add_pull(CLI::App &root, Commands &commands);
void add_baseline(CLI::App &root, Commands &commands);
void add_backfill_configure(CLI::App &root, Commands &commands);

}  // namespace pgshift::cli
