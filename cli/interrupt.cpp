#include "interrupt.hpp"

#include <signal.h>

#include <csignal>

namespace pgshift::cli::interrupt {

namespace {

volatile std::sig_atomic_t signal_received = 0;
// Set and cleared outside the handler only; PQcancel is documented as safe inside a signal handler.
PGcancel *volatile cancel_handle = nullptr;
PGconn *watched = nullptr;

extern "C" void on_signal(int signal_number) {
	signal_received = 1;
	PGcancel *cancel = cancel_handle;
	if (cancel == nullptr) {
		// Not connected (yet): nothing runs on the server, so die the usual way.
		std::signal(signal_number, SIG_DFL);
		std::raise(signal_number);
		return;
	}
	char message[256];
	PQcancel(cancel, message, sizeof message);
}

// Keeps the handler from reading cancel_handle while it is being replaced or freed.
class SignalsBlocked {
public:
	SignalsBlocked() {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, &previous_);
	}
	~SignalsBlocked() { sigprocmask(SIG_SETMASK, &previous_, nullptr); }

private:
	sigset_t previous_;
};

}  // namespace

void install() {
	struct sigaction action {};
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	// No SA_RESTART: a sleep in the lock loop returns early and sees requested().
	sigaction(SIGINT, &action, nullptr);
	sigaction(SIGTERM, &action, nullptr);
}

void watch(PGconn *conn) {
	SignalsBlocked blocked;
	unwatch(watched);
	watched = conn;
	cancel_handle = PQgetCancel(conn);
}

void unwatch(PGconn *conn) {
	if (conn == nullptr || conn != watched)
		return;
	SignalsBlocked blocked;
	PGcancel *cancel = cancel_handle;
	cancel_handle = nullptr;
	watched = nullptr;
	PQfreeCancel(cancel);
}

bool requested() { return signal_received != 0; }

}  // namespace pgshift::cli::interrupt
