#include "advisory_lock.hpp"

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "errors.hpp"
#include "interrupt.hpp"
#include "lock_timeout.hpp"

namespace pgshift::cli {

namespace {
// Short enough that a waiting run starts soon after the other one ends, long enough to be cheap.
constexpr std::chrono::milliseconds poll_interval{200};
}  // namespace

AdvisoryLock AdvisoryLock::for_schema(const GlobalOptions &options, const std::string &schema,
                                      double wait_timeout_seconds) {
	AdvisoryLock lock(options, "schema \"" + schema + "\"");
	// In autocommit, before the lock's transaction: its statements take no parameters (see try_once).
	lock.second_key_ = lock.conn_.query("SELECT pg_catalog.hashtext($1)", {schema}).scalar().value_or("0");
	lock.acquire(wait_timeout_seconds);
	return lock;
}

AdvisoryLock AdvisoryLock::for_init(const GlobalOptions &options, double wait_timeout_seconds) {
	AdvisoryLock lock(options, "this database (init)");
	lock.second_key_ = "0";
	lock.acquire(wait_timeout_seconds);
	return lock;
}

AdvisoryLock::AdvisoryLock(const GlobalOptions &options, std::string what)
	// Ctrl-C cancels the statement of the CLI's other connection; this one only ever waits.
	: conn_(Connection::open(options.url(), Connection::OnInterrupt::ignore)), what_(std::move(what)) {}

AdvisoryLock::AdvisoryLock(AdvisoryLock &&other) noexcept
	: conn_(std::move(other.conn_)), second_key_(std::move(other.second_key_)), what_(std::move(other.what_)),
	  held_(other.held_) {
	other.held_ = false;
}

bool AdvisoryLock::try_once() {
	// Explicit isolation level and the simple protocol: see advisory_lock.hpp (no snapshot kept open).
	conn_.query_simple("BEGIN ISOLATION LEVEL READ COMMITTED");
	const Result got = conn_.query_simple(
		"SELECT pg_catalog.pg_try_advisory_xact_lock(" + std::to_string(run_lock_key) + ", " + second_key_ +
		"), pg_catalog.set_config('idle_in_transaction_session_timeout', '0', true), pg_catalog.pg_backend_pid()");
	if (got.rows() == 1 && got.value(0, 0) == "t") {
		// Our calls on the other connection name this one, so that the extension lets them through
		// while it refuses calls from anybody else during the run.
		set_run_lock_holder(got.value(0, 2));
		return true;
	}
	conn_.query_simple("ROLLBACK");
	return false;
}

void AdvisoryLock::acquire(double wait_timeout_seconds) {
	using clock = std::chrono::steady_clock;
	const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
		std::chrono::duration<double>(wait_timeout_seconds));
	bool told = false;
	while (true) {
		if (try_once()) {
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
	if (!held_)
		return;
	set_run_lock_holder("");
	if (!conn_.ok())
		return;
	try {
		conn_.query_simple("ROLLBACK");
	} catch (...) {
		// The connection closes right after, which releases the lock anyway.
	}
}

}  // namespace pgshift::cli
