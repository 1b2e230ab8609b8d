// Durations written as Go's time.ParseDuration reads them ("0", "100ms", "1.5s", "1m30s"), since
// pgroll's flags such as --backfill-batch-delay take that form.
#pragma once
#include <chrono>
#include <string>

namespace pgshift::cli {

// Parses a Go duration: an optional sign, then one or more <decimal number><unit> with units ns, us
// (or µs, μs), ms, s, m, h; "0" alone needs no unit. Throws std::invalid_argument with a message
// naming the text when it is not one, std::out_of_range when it exceeds +-292 years (Go's limit).
std::chrono::nanoseconds parse_go_duration(const std::string &text);

// Whole milliseconds, rounded up, so that a positive delay never becomes no delay at all.
long long whole_milliseconds_rounded_up(std::chrono::nanoseconds duration);

}  // namespace pgshift::cli
