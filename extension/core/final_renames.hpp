// The renames that give columns (and, the same way, tables) their final names at complete. During a
// migration a column lives on disk under one physical name (its old name, a twin _pgshift_new_c, a column added
// as _pgshift_new_c); every complete step names columns that way. After them, and after the drops,
// each column the new version shows takes the name it shows it under. Deriving the renames from the
// final virtual schema, instead of renaming as each operation goes, makes any sequence of renames,
// adds, drops and changes of the same columns come out right (rename a to b and add a; add x and
// drop it; rename a to b and drop b). Tables: a table renamed twice, or two tables swapping names.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace pgshift {

struct Rename {
	std::string from;
	std::string to;
};

// `columns`: (physical name, final name) of every column the table keeps (or of every table). Returns the renames in an
// order in which each target name is free when its rename runs (a swap goes through a temporary
// name, `_pgshift_swap_N`).
std::vector<Rename> order_renames(const std::vector<std::pair<std::string, std::string>> &columns);

}  // namespace pgshift
