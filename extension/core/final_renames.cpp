#include "core/final_renames.hpp"

#include <set>

namespace pgshift {

std::vector<Rename> order_renames(const std::vector<std::pair<std::string, std::string>> &columns)
{
	std::vector<Rename> pending;
	for (const auto &column : columns)
		if (column.first != column.second)
			pending.push_back({column.first, column.second});
	std::vector<Rename> ordered;
	int swaps = 0;
	while (!pending.empty()) {
		std::set<std::string> held;   // names pending renames still hold
		for (const auto &rename : pending)
			held.insert(rename.from);
		bool progressed = false;
		for (auto it = pending.begin(); it != pending.end(); ++it)
			if (held.count(it->to) == 0) {
				ordered.push_back(*it);
				pending.erase(it);
				progressed = true;
				break;
			}
		if (!progressed) {
			// Every target is held by another pending rename: a cycle. One column steps aside.
			std::string aside = "_pgshift_swap_" + std::to_string(++swaps);
			ordered.push_back({pending.front().from, aside});
			pending.front().from = aside;
		}
	}
	return ordered;
}

}  // namespace pgshift
