#include "session.hpp"

#include <iostream>

#include "errors.hpp"
#include "extension_versions.hpp"

namespace pgshift::cli {

const char *cli_version() { return PGSHIFT_VERSION; }

Connection open_session(const GlobalOptions &options) {
	Connection conn = Connection::open(options.url());
	conn.show_notices(options.verbose);
	if (options.verbose)
		std::cerr << "connected to database \"" << conn.database() << "\" on " << conn.host() << ":" << conn.port()
		          << " as \"" << conn.user() << "\"\n";
	// Nothing is SET on the session (pgroll sets lock_timeout here): behind a transaction pooler it would
	// stay on a server connection other clients get. Each state-changing call carries its own
	// lock_timeout (lock_timeout.hpp).
	return conn;
}

std::optional<std::string> installed_extension_version(Connection &conn) {
	return conn.query("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgshift'").scalar();
}

void require_extension_schema_flag(const GlobalOptions &options) {
	if (options.state_schema != extension_schema)
		throw Failure("--pgshift-schema is \"" + options.state_schema + "\", but the pgshift extension always lives in schema \"" +
		              extension_schema + "\" (its control file pins it); drop the option or set it to \"" +
		              extension_schema + "\"");
}

void require_extension(Connection &conn, const GlobalOptions &options) {
	Result found = conn.query(
		"SELECT e.extversion, n.nspname FROM pg_catalog.pg_extension e "
		"JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgshift'");
	if (found.rows() == 0)
		throw Failure("pgshift is not initialized in this database; run 'pgshift init'");
	const std::string extversion = found.value(0, 0);
	const std::string installed_schema = found.value(0, 1);
	if (installed_schema != options.state_schema)
		throw Failure("the pgshift extension is installed in schema \"" + installed_schema + "\", not in \"" +
		              options.state_schema + "\" given by --pgshift-schema");
	if (std::optional<std::string> refusal =
	        version_refusal("the pgshift extension in this database", extversion, cli_version()))
		throw Failure(*refusal);
	// The SQL script and the shared library can disagree after an upgrade of one without the other. A
	// library serves the SQL of every version up to its own.
	const std::string library = conn.query("SELECT " + state_function(conn, options, "version") + "()").scalar().value_or("");
	if (compare_versions(library, extversion) < 0)
		throw Failure("the pgshift library loaded by the server is version " + library +
		              ", older than the extension's SQL in this database (" + extversion +
		              "); install the pgshift build of version " + extversion + " or later on the server and restart it");
	if (std::optional<std::string> refusal = version_refusal("the pgshift library loaded by the server", library, cli_version()))
		throw Failure(*refusal);
}

std::string state_function(Connection &conn, const GlobalOptions &options, const std::string &function) {
	return conn.quote_identifier(options.state_schema) + "." + function;
}

}  // namespace pgshift::cli
