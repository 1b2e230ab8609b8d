// Reading pgshift.history(schema): what migrate compares the directory with, and what pull writes out.
#pragma once
#include <vector>

#include "connection.hpp"
#include "options.hpp"
#include "unapplied_migrations.hpp"

namespace pgshift::cli {

// The migrations of --schema since its latest baseline (included), oldest first.
std::vector<HistoryEntry> read_history(Connection &conn, const GlobalOptions &options);

}  // namespace pgshift::cli
