#include "job_status.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pgshift::cli {

namespace {

// Statements are long (CREATE INDEX CONCURRENTLY ... ON "schema"."table" USING ...): their start says
// enough.
constexpr size_t statement_label_length = 60;

std::string percent(const JobStatus &job) {
	if (!job.rows_estimated || *job.rows_estimated <= 0)
		return "";
	const long long value = std::min(100LL, job.rows_done * 100 / *job.rows_estimated);
	return std::to_string(value) + "%";
}

std::string rows(const JobStatus &job) {
	std::string text = format_count(job.rows_done);
	if (job.rows_estimated)
		text += "/" + format_count(*job.rows_estimated);
	return text + " rows";
}

std::string rate(const JobStatus &job) {
	if (!job.rows_per_second)
		return "";
	return format_count(std::llround(*job.rows_per_second)) + " rows/s";
}

std::string eta(const JobStatus &job) {
	if (!job.rows_estimated || !job.rows_per_second || *job.rows_per_second <= 0 || job.state != "running")
		return "";
	const double remaining = static_cast<double>(std::max(0LL, *job.rows_estimated - job.rows_done));
	return "ETA " + format_seconds(remaining / *job.rows_per_second);
}

// "[2/3] " when there is more than one job.
std::string position(const JobsState &state, const JobStatus &job) {
	if (state.jobs.size() < 2)
		return "";
	size_t index = 0;
	while (index < state.jobs.size() && &state.jobs[index] != &job)
		++index;
	return "[" + std::to_string(index + 1) + "/" + std::to_string(state.jobs.size()) + "] ";
}

void append_part(std::string &line, const std::string &part) {
	if (part.empty())
		return;
	if (!line.empty())
		line += " ";
	line += part;
}

// Cuts at a byte count without splitting a UTF-8 sequence (table names may be non-ASCII).
std::string cut_utf8(const std::string &text, size_t bytes) {
	if (text.size() <= bytes)
		return text;
	while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80)
		--bytes;
	return text.substr(0, bytes);
}

}  // namespace

bool all_done(const JobsState &state) {
	return std::all_of(state.jobs.begin(), state.jobs.end(), [](const JobStatus &job) { return job.state == "done"; });
}

bool waiting_for_standbys(const JobStatus &job) {
	// Servers before 0.4.0 have no throttle_state, and a throttle only while waiting.
	return job.throttle_state.empty() ? !job.throttle.empty() : job.throttle_state == "waiting for standbys";
}

bool any_paused(const JobsState &state) { return first_in_state(state, "paused") != nullptr; }

const JobStatus *first_in_state(const JobsState &state, const std::string &job_state) {
	for (const JobStatus &job : state.jobs)
		if (job.state == job_state)
			return &job;
	return nullptr;
}

const JobStatus *current_job(const JobsState &state) {
	for (const JobStatus &job : state.jobs)
		if (job.state != "done")
			return &job;
	return nullptr;
}

std::string job_label(const JobStatus &job) {
	if (job.is_backfill)
		return "backfill of \"" + job.table + "\"";
	if (job.is_publish)
		return "opening the new version schema";
	// One line, single spaces.
	std::string flat;
	for (char c : job.statement) {
		const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
		if (space && (flat.empty() || flat.back() == ' '))
			continue;
		flat += space ? ' ' : c;
	}
	while (!flat.empty() && flat.back() == ' ')
		flat.pop_back();
	if (flat.size() > statement_label_length)
		flat = cut_utf8(flat, statement_label_length - 3) + "...";
	return flat;
}

std::string format_count(long long count) {
	std::string digits = std::to_string(count < 0 ? -count : count);
	std::string text;
	for (size_t i = 0; i < digits.size(); ++i) {
		if (i > 0 && (digits.size() - i) % 3 == 0)
			text += ',';
		text += digits[i];
	}
	return count < 0 ? "-" + text : text;
}

std::string format_seconds(double seconds) {
	if (!(seconds >= 0))
		seconds = 0;
	char buffer[32];
	if (seconds < 10) {
		std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
		return buffer;
	}
	long long whole = std::llround(seconds);
	const long long hours = whole / 3600, minutes = whole / 60 % 60, rest = whole % 60;
	std::string text;
	if (hours > 0)
		text += std::to_string(hours) + "h";
	if (hours > 0 || minutes > 0)
		text += std::to_string(minutes) + "m";
	return text + std::to_string(rest) + "s";
}

std::string progress_bar(double fraction, int width) {
	if (width < 3)
		return "";
	const int inside = width - 2;
	fraction = std::clamp(fraction, 0.0, 1.0);
	const int filled = static_cast<int>(fraction * inside);
	return "[" + std::string(filled, '#') + std::string(inside - filled, '.') + "]";
}

std::string job_progress(const JobStatus &job) {
	if (job.state == "failed")
		return "failed: " + job.error;
	if (job.is_backfill) {
		if (job.state == "pending" && job.rows_done == 0)
			return "pending";
		std::string text = (job.state == "paused" ? "paused at " : "") + rows(job);
		const std::string done_percent = percent(job);
		if (!done_percent.empty())
			text += " (" + done_percent + ")";
		const std::string speed = rate(job);
		if (!speed.empty() && job.state != "paused")
			text += ", " + speed;
		if (!job.throttle.empty())
			text += "; " + job.throttle;
		return text;
	}
	if (job.state == "running" && job.running_seconds)
		return "running for " + format_seconds(*job.running_seconds);
	return job.state;
}

std::string plain_progress_line(const JobsState &state) {
	const JobStatus *job = current_job(state);
	if (job == nullptr)
		return "migration \"" + state.migration + "\": jobs done";
	std::string which = state.jobs.size() > 1
		? "job " + std::to_string(job - state.jobs.data() + 1) + " of " + std::to_string(state.jobs.size()) + ", "
		: "";
	return "migration \"" + state.migration + "\": " + which + job_label(*job) + ": " + job_progress(*job);
}

std::string terminal_progress_line(const JobsState &state, int columns) {
	const JobStatus *job = current_job(state);
	if (job == nullptr)
		return "";
	const size_t limit = columns > 1 ? static_cast<size_t>(columns - 1) : 0;
	const std::string label = position(state, *job) + job_label(*job);
	const bool measurable = job->is_backfill && job->state == "running" && job->rows_estimated && *job->rows_estimated > 0 &&
	                        !waiting_for_standbys(*job);   // (waiting: say why, rather than draw a bar that stands still)
	if (!measurable) {
		std::string line = label;
		append_part(line, job_progress(*job));
		return cut_utf8(line, limit);
	}
	// The numbers matter more than the bar, the bar more than the rate and the ETA: drop from the end
	// until the rest fits, then give the bar what is left.
	std::vector<std::string> tail = {percent(*job), rows(*job), rate(*job), eta(*job)};
	if (!job->throttle_state.empty() && job->throttle_state != "full speed")
		tail.push_back("(" + job->throttle_state + ")");
	auto joined = [&](size_t parts) {
		std::string text;
		for (size_t i = 0; i < parts; ++i)
			append_part(text, tail[i]);
		return text;
	};
	constexpr size_t narrowest_bar = 10, widest_bar = 32;
	size_t parts = tail.size();
	while (parts > 2 && label.size() + 1 + narrowest_bar + 1 + joined(parts).size() > limit)
		--parts;
	const std::string numbers = joined(parts);
	std::string line = label;
	const size_t used = label.size() + 1 + numbers.size() + 1;
	if (used + narrowest_bar <= limit) {
		const size_t bar = std::min(widest_bar, limit - used);
		append_part(line, progress_bar(static_cast<double>(job->rows_done) / static_cast<double>(*job->rows_estimated),
		                               static_cast<int>(bar)));
	}
	append_part(line, numbers);
	return cut_utf8(line, limit);
}

std::string done_line(const JobsState &state, double waited_seconds) {
	std::string line = "migration \"" + state.migration + "\": " +
		(state.jobs.size() == 1 ? std::string("1 job") : std::to_string(state.jobs.size()) + " jobs") + " done in " +
		format_seconds(waited_seconds);
	std::string backfills;
	bool opened = false;
	for (const JobStatus &job : state.jobs) {
		opened = opened || job.is_publish;
		if (!job.is_backfill)
			continue;
		if (!backfills.empty())
			backfills += ", ";
		backfills += job_label(job) + ": " + format_count(job.rows_done) + " rows";
	}
	if (opened)
		backfills += std::string(backfills.empty() ? "" : "; ") + "new version opened";
	if (!backfills.empty())
		line += " (" + backfills + ")";
	return line;
}

std::string resume_call(const std::string &schema) {
	std::string literal;
	for (char c : schema)
		literal += c == '\'' ? std::string("''") : std::string(1, c);
	return "SELECT pgshift.backfill_resume('" + literal + "')";
}

}  // namespace pgshift::cli
