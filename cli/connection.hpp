// A libpq connection with RAII, parameterised queries and errors that keep the server's fields.
#pragma once
#include <libpq-fe.h>

#include <optional>
#include <string>
#include <vector>

namespace pgshift::cli {

// A query parameter: text, or NULL.
using Param = std::optional<std::string>;

// The rows of one statement (text format), freed with the object.
class Result {
public:
	explicit Result(PGresult *result) : result_(result) {}
	Result(Result &&other) noexcept : result_(other.result_) { other.result_ = nullptr; }
	Result &operator=(Result &&other) noexcept;
	Result(const Result &) = delete;
	Result &operator=(const Result &) = delete;
	~Result() { PQclear(result_); }

	int rows() const { return PQntuples(result_); }
	bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
	std::string value(int row, int column) const { return PQgetvalue(result_, row, column); }
	// The first column of the first row; nothing if there is no row or it is NULL.
	std::optional<std::string> scalar() const;
	const PGresult *get() const { return result_; }

private:
	PGresult *result_;
};

class Connection {
public:
	// What Ctrl-C does to this connection's running statement.
	enum class OnInterrupt {
		cancel,   // the connection that runs the migration's calls: its statement is cancelled
		ignore,   // a helper connection (the run lock's): it must not take the cancel away from the other
	};

	// Connects with PQconnectdbParams(expand_dbname=1): `url` may be a URI or key=value string; without
	// one, libpq takes every parameter from the PG* environment variables and its defaults.
	static Connection open(const std::optional<std::string> &url, OnInterrupt on_interrupt = OnInterrupt::cancel);

	Connection(Connection &&other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
	Connection &operator=(Connection &&) = delete;
	Connection(const Connection &) = delete;
	Connection &operator=(const Connection &) = delete;
	~Connection();

	// One statement in autocommit mode; throws DatabaseError when the server reports an error.
	Result query(const std::string &sql, const std::vector<Param> &params = {});

	// One statement without parameters over the simple query protocol. Unlike query() (the extended
	// protocol), it leaves no unnamed portal behind: inside an open transaction, a finished SELECT's
	// portal keeps its snapshot (and so the backend's xmin) until the next statement or the end of the
	// transaction, which would make CREATE INDEX CONCURRENTLY wait for that transaction.
	Result query_simple(const std::string &sql);

	// "name" with libpq's quoting, for identifiers that cannot be parameters (the extension's schema).
	std::string quote_identifier(const std::string &name) const;

	// Whether the session is still usable (e.g. to release a lock in a destructor).
	bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

	// Effective connection parameters, e.g. to print the target or rebuild a URL (never the password).
	std::string user() const { return PQuser(conn_); }
	std::string database() const { return PQdb(conn_); }
	std::string host() const { return PQhost(conn_); }
	std::string port() const { return PQport(conn_); }

	// Server notices (e.g. "drop cascades to ...") are printed to stderr only when asked for.
	void show_notices(bool show);

private:
	explicit Connection(PGconn *conn) : conn_(conn) {}
	// The result, or DatabaseError / Failure when the statement or the connection failed.
	Result checked(Result result);
	PGconn *conn_;
};

}  // namespace pgshift::cli
