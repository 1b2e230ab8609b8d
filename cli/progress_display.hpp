// Where the CLI shows how the jobs it waits for are doing: on a terminal, one line on stderr redrawn in
// place; elsewhere (logs, CI), a plain line every few seconds. Both end with one line when done.
#pragma once
#include <chrono>
#include <ostream>

#include "job_status.hpp"

namespace pgshift::cli {

class ProgressDisplay {
public:
	// `terminal`: redraw one line (the stream is a terminal); else print plain lines now and then.
	ProgressDisplay(std::ostream &out, bool terminal);
	ProgressDisplay(const ProgressDisplay &) = delete;
	ProgressDisplay &operator=(const ProgressDisplay &) = delete;
	// Ends a line left open on the terminal, so that what comes next (an error) starts on its own line.
	~ProgressDisplay();

	// The state of the latest poll.
	void show(const JobsState &state);
	// Everything is done, after waiting that long.
	void finish(const JobsState &state, double waited_seconds);

private:
	void end_line();

	std::ostream &out_;
	bool terminal_;
	bool line_open_ = false;                              // terminal: a progress line without its newline
	std::chrono::steady_clock::time_point next_plain_;    // plain: when the next line is due
};

// Whether stderr is a terminal (the progress bar then makes sense).
bool stderr_is_terminal();

}  // namespace pgshift::cli
