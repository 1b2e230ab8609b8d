// A column replaced by its twin may own a sequence (serial) or be an identity column; dropping it at
// complete would drop the sequence, and the ids would start again. The sequence goes to the twin:
//   serial:   at complete, before the old column is dropped, the sequence becomes the twin's
//             (OWNED BY) and, when the twin is wider (integer -> bigint), as wide (AS bigint).
//   identity: at start, the twin takes its default from the column's sequence; at complete the
//             sequence's settings and last value are noted before the old column (and with it the
//             sequence) is dropped, and the twin becomes an identity column of the same kind that
//             goes on from there, under the old sequence's name, as the views' defaults do.
// The statements are DO blocks that look the sequence up when they run, and do nothing without one.
#pragma once
#include <string>

namespace pgshift {

// At start, after the twin is added: an identity column's twin draws from its sequence.
std::string twin_draws_from_identity_sql(const std::string &qualified_table, const std::string &old_column,
                                         const std::string &twin);
// At complete, before the old column is dropped.
std::string hand_sequence_to_twin_sql(const std::string &qualified_table, const std::string &old_column,
                                      const std::string &twin);
// At complete, once the twin is NOT NULL (an identity column must be).
std::string restore_identity_sql(const std::string &qualified_table, const std::string &twin);

}  // namespace pgshift
