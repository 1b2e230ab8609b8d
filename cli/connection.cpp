#include "connection.hpp"

#include <cstdio>

#include "errors.hpp"
#include "interrupt.hpp"

namespace pgshift::cli {

namespace {

std::string trimmed(std::string text) {
	while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
		text.pop_back();
	return text;
}

// libpq's message without "FATAL:  "/"ERROR:  " and without the lines it adds after the first.
std::string first_line_of_libpq_error(const char *text) {
	std::string line = text != nullptr ? text : "";
	line = line.substr(0, line.find('\n'));
	for (const char *prefix : {"FATAL:  ", "ERROR:  "})
		if (line.rfind(prefix, 0) == 0)
			line = line.substr(std::char_traits<char>::length(prefix));
	line = trimmed(line);
	return line.empty() ? "the server closed the connection" : line;
}

std::string error_field(const PGresult *result, int code) {
	const char *value = PQresultErrorField(result, code);
	return value != nullptr ? value : "";
}

void print_notice(void *, const char *message) { std::fputs(message, stderr); }
void drop_notice(void *, const char *) {}

}  // namespace

Result &Result::operator=(Result &&other) noexcept {
	if (this != &other) {
		PQclear(result_);
		result_ = other.result_;
		other.result_ = nullptr;
	}
	return *this;
}

std::optional<std::string> Result::scalar() const {
	if (rows() == 0 || PQnfields(result_) == 0 || is_null(0, 0))
		return std::nullopt;
	return value(0, 0);
}

Connection Connection::open(const std::optional<std::string> &url, OnInterrupt on_interrupt) {
	// fallback_application_name: an application_name in the user's URL still wins.
	const char *keywords[] = {"dbname", "fallback_application_name", nullptr};
	const char *values[] = {url ? url->c_str() : nullptr, "pgshift", nullptr};
	Connection connection(PQconnectdbParams(keywords, values, 1));
	if (connection.conn_ == nullptr)
		throw Failure("could not connect to the database: out of memory");
	if (PQstatus(connection.conn_) != CONNECTION_OK)
		throw Failure("could not connect to the database: " + trimmed(PQerrorMessage(connection.conn_)));
	connection.show_notices(false);
	if (on_interrupt == OnInterrupt::cancel)
		interrupt::watch(connection.conn_);
	return connection;
}

Connection::~Connection() {
	if (conn_ != nullptr) {
		interrupt::unwatch(conn_);
		PQfinish(conn_);
	}
}

Result Connection::query(const std::string &sql, const std::vector<Param> &params) {
	std::vector<const char *> values;
	values.reserve(params.size());
	for (const Param &param : params)
		values.push_back(param ? param->c_str() : nullptr);
	return checked(Result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
	                                   nullptr, nullptr, 0)));
}

Result Connection::query_simple(const std::string &sql) { return checked(Result(PQexec(conn_, sql.c_str()))); }

Result Connection::checked(Result result) {
	const ExecStatusType status = PQresultStatus(result.get());
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
		return result;
	// No result at all, one without a server message, or a connection gone bad (the server's FATAL,
	// e.g. pg_terminate_backend or a shutdown): the connection itself failed. Say so in one line,
	// without libpq's severity prefix and follow-up lines.
	std::string message = result.get() != nullptr ? error_field(result.get(), PG_DIAG_MESSAGE_PRIMARY) : "";
	if (message.empty() || PQstatus(conn_) == CONNECTION_BAD) {
		const std::string why = !message.empty() ? message : first_line_of_libpq_error(PQerrorMessage(conn_));
		throw Failure("lost the database connection: " + why +
		              " ('pgshift status' shows where the migration stands; if the command's work is not done, "
		              "run it again)");
	}
	throw DatabaseError(message, error_field(result.get(), PG_DIAG_SQLSTATE),
	                    error_field(result.get(), PG_DIAG_MESSAGE_DETAIL),
	                    error_field(result.get(), PG_DIAG_MESSAGE_HINT));
}

std::string Connection::quote_identifier(const std::string &name) const {
	char *quoted = PQescapeIdentifier(conn_, name.data(), name.size());
	if (quoted == nullptr)
		throw Failure("cannot quote identifier \"" + name + "\": " + trimmed(PQerrorMessage(conn_)));
	std::string result(quoted);
	PQfreemem(quoted);
	return result;
}

void Connection::show_notices(bool show) {
	PQsetNoticeProcessor(conn_, show ? print_notice : drop_notice, nullptr);
}

}  // namespace pgshift::cli
