#include "schema_history.hpp"

#include "errors.hpp"
#include "session.hpp"

namespace pgshift::cli {

std::vector<HistoryEntry> read_history(Connection &conn, const GlobalOptions &options) {
	const Result rows = conn.query(
		"SELECT h.name, h.migration, h.migration_type, h.done FROM " +
			state_function(conn, options, "history($1)") + " h",
		{options.schema});
	std::vector<HistoryEntry> history;
	for (int row = 0; row < rows.rows(); ++row) {
		HistoryEntry entry;
		entry.name = rows.value(row, 0);
		try {
			entry.migration = nlohmann::ordered_json::parse(rows.value(row, 1));
		} catch (const nlohmann::ordered_json::parse_error &error) {
			throw Failure("cannot read migration \"" + entry.name + "\" from the history: " + error.what());
		}
		entry.type = rows.value(row, 2);
		entry.done = rows.value(row, 3) == "t";
		history.push_back(std::move(entry));
	}
	return history;
}

}  // namespace pgshift::cli
