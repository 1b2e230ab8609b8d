#include "progress_display.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

namespace pgshift::cli {

namespace {

// Often enough to see a log move, rarely enough to keep it short.
constexpr std::chrono::seconds plain_interval{5};

int terminal_columns() {
	struct winsize size {};
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
		return size.ws_col;
	if (const char *columns = std::getenv("COLUMNS"); columns != nullptr && std::atoi(columns) > 0)
		return std::atoi(columns);
	return 80;
}

}  // namespace

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

ProgressDisplay::ProgressDisplay(std::ostream &out, bool terminal)
	: out_(out), terminal_(terminal), next_plain_(std::chrono::steady_clock::now() + plain_interval) {}

ProgressDisplay::~ProgressDisplay() { end_line(); }

void ProgressDisplay::end_line() {
	if (!line_open_)
		return;
	out_ << "\n" << std::flush;
	line_open_ = false;
}

void ProgressDisplay::show(const JobsState &state) {
	if (terminal_) {
		// Carriage return, the line, then erase whatever a longer previous line left.
		out_ << "\r" << terminal_progress_line(state, terminal_columns()) << "\x1b[K" << std::flush;
		line_open_ = true;
		return;
	}
	const auto now = std::chrono::steady_clock::now();
	if (now < next_plain_)
		return;
	out_ << plain_progress_line(state) << std::endl;
	next_plain_ = now + plain_interval;
}

void ProgressDisplay::finish(const JobsState &state, double waited_seconds) {
	if (terminal_ && line_open_) {
		out_ << "\r\x1b[K";
		line_open_ = false;
	}
	out_ << done_line(state, waited_seconds) << std::endl;
}

}  // namespace pgshift::cli
