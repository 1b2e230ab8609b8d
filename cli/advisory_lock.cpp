#include "advisory_lock.hpp"

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "errors.hpp"
#include "interrupt.hpp"

namespace pgshift::cli {

namespace {
// Short enough that a waiting run starts soon after the other one ends, long enough to be cheap.
constexpr std::chrono::milliseconds poll_interval{200};
}  // namespace

AdvisoryLock AdvisoryLock::for_schema(Connection &conn, const std::string &state_schema_quoted,
                                      const std::string &schema, double wait_timeout_seconds) {
	AdvisoryLock lock(conn, state_schema_quoted + ".lock_key(), pg_catalog.hashtext($1)", {schema},
	                  "schema \"" + schema + "\"");
	lock.acquire(wait_timeout_seconds);
	return lock;
}

AdvisoryLock AdvisoryLock::for_init(Connection &conn, double wait_timeout_seconds) {
	AdvisoryLock lock(conn, std::to_string(advisory_lock_key) + ", 0", {}, "this database (init)");
	lock.acquire(wait_timeout_seconds);
	return lock;
}

AdvisoryLock::AdvisoryLock(Connection &conn, std::string key_sql, std::vector<Param> params, std::string what)
	: conn_(&conn), key_sql_(std::move(key_sql)), params_(std::move(params)), what_(std::move(what)) {}

AdvisoryLock::AdvisoryLock(AdvisoryLock &&other) noexcept
	: conn_(other.conn_), key_sql_(std::move(other.key_sql_)), params_(std::move(other.params_)),
	  what_(std::move(other.what_)), held_(other.held_) {
	other.held_ = false;
}

void AdvisoryLock::acquire(double wait_timeout_seconds) {
	using clock = std::chrono::steady_clock;
	const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
		std::chrono::duration<double>(wait_timeout_seconds));
	const std::string sql = "SELECT pg_catalog.pg_try_advisory_lock(" + key_sql_ + ")";
	bool told = false;
	while (true) {
		if (conn_->query(sql, params_).scalar() == std::optional<std::string>("t")) {
			held_ = true;
			return;
		}
		if (!told) {
			std::cerr << "waiting for another pgshift run on " << what_ << "..." << std::endl;
			told = true;
		}
		if (wait_timeout_seconds > 0 && clock::now() >= deadline) {
			std::ostringstream message;
			message << "gave up after " << wait_timeout_seconds << " s waiting for another pgshift run on " << what_
			        << " (--lock-wait-timeout)";
			throw Failure(message.str());
		}
		std::this_thread::sleep_for(poll_interval);
		if (interrupt::requested())
			throw Failure("interrupted while waiting for another pgshift run on " + what_);
	}
}

AdvisoryLock::~AdvisoryLock() {
	if (!held_ || conn_ == nullptr || !conn_->ok())
		return;
	try {
		conn_->query("SELECT pg_catalog.pg_advisory_unlock(" + key_sql_ + ")", params_);
	} catch (...) {
		// The session ends right after, which releases the lock anyway.
	}
}

}  // namespace pgshift::cli
