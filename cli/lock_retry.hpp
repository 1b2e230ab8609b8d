// Retrying a state-changing call that gave up waiting for a lock.
#pragma once
#include <functional>

#include <nlohmann/json.hpp>

#include "options.hpp"

namespace pgshift::cli {

// Runs `call`. When PostgreSQL reports lock_not_available (SQLSTATE 55P03: lock_timeout expired, or
// another session's pgshift function holds the schema's per-call lock), the call's transaction
// (lock_timeout.hpp: one per call) has rolled back with nothing
// changed: wait with exponential backoff and jitter and try again, at most options.lock_retries
// times, so pgshift never makes the application's queries queue behind it for long.
nlohmann::ordered_json with_lock_retries(const GlobalOptions &options,
                                         const std::function<nlohmann::ordered_json()> &call);

}  // namespace pgshift::cli
