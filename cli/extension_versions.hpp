// Which versions of the pgshift extension this CLI can drive, and what to run when the database's
// is outside that range (pure: no connection).
#pragma once

#include <optional>
#include <string>

namespace pgshift::cli {

// The oldest extension version whose SQL functions this CLI calls as it expects (0.2.0 added the
// version opening, the job kinds and the ownership model the CLI relies on).
inline constexpr const char *oldest_driven_extension_version = "0.2.0";

// Compares dotted versions ("0.10.0" > "0.9.1"); a missing part counts as 0, a non-numeric part
// compares as text after the numbers.
int compare_versions(const std::string &a, const std::string &b);

// Why this CLI (at cli_version) cannot drive an extension at `installed`, with the exact next step;
// nothing when it can. `what` names the thing that is at `installed` ("the pgshift extension in
// this database", "the pgshift library loaded by the server").
std::optional<std::string> version_refusal(const std::string &what, const std::string &installed,
                                           const std::string &cli_version);

}  // namespace pgshift::cli
