// The two kinds of failure the CLI reports. main() prints them as "Error: <message>" (then DETAIL and
// HINT lines when there are some) and exits 1.
#pragma once
#include <stdexcept>
#include <string>

namespace pgshift::cli {

// A failure with a message meant for the user as it is (bad file, missing extension, lock timeout...),
// with an optional detail and a hint saying what to do next.
class Failure : public std::runtime_error {
public:
	explicit Failure(const std::string &message, std::string detail = "", std::string hint = "")
		: std::runtime_error(message), detail_(std::move(detail)), hint_(std::move(hint)) {}
	const std::string &detail() const { return detail_; }
	const std::string &hint() const { return hint_; }

private:
	std::string detail_;
	std::string hint_;
};

// An error reported by the server: its primary message plus the fields libpq splits out, so the user
// sees the server's DETAIL and HINT and scripts can tell errors apart by SQLSTATE.
class DatabaseError : public Failure {
public:
	DatabaseError(const std::string &message, std::string sqlstate, std::string detail, std::string hint)
		: Failure(message, std::move(detail), std::move(hint)), sqlstate_(std::move(sqlstate)) {}
	const std::string &sqlstate() const { return sqlstate_; }

private:
	std::string sqlstate_;
};

}  // namespace pgshift::cli
