// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/worker_settings.hpp"

extern "C" {
#include "postgres.h"
#include "utils/guc.h"
}

namespace {

struct Setting {
	const char *name;
	const char *value;
};

// Set at the session level: they override the role's and the database's defaults (which the
// connection applied at a lower priority). PGC_SUSET lets the worker's own code set the few that
// only a superuser may (session_replication_role); user code it runs cannot change them that way.
const Setting session_settings[] = {
	// Every name the worker's statements use is qualified; nothing may resolve in a schema a role
	// can write to. (The dual-write trigger resolves up/down names in the managed schema itself.)
	{"search_path", "pg_catalog, pg_temp"},
	// Key cursors are stored as text: their text forms must read back to the same value.
	{"extra_float_digits", "3"},
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"TimeZone", "UTC"},
	{"lc_monetary", "C"},
	{"bytea_output", "hex"},
	{"standard_conforming_strings", "on"},
	{"array_nulls", "on"},
	{"transform_null_equals", "off"},
	{"quote_all_identifiers", "off"},
	// A backfill must see every row or fail: with row_security off, a query that row-level security
	// would filter raises an error instead of quietly skipping rows.
	{"row_security", "off"},
	// A role's replica mode would keep the table's ordinary triggers from firing for other writes.
	{"session_replication_role", "origin"},
	// Timeouts: concurrent index builds wait for older transactions and must not time out doing so;
	// batches set their own lock timeout.
	{"statement_timeout", "0"},
	{"lock_timeout", "0"},
	{"idle_in_transaction_session_timeout", "0"},
	{"default_transaction_isolation", "read committed"},
	{"default_transaction_read_only", "off"},
	{"default_transaction_deferrable", "off"},
	// Planner settings a role may have turned off would turn batches into table scans.
	{"enable_indexscan", "on"},
	{"enable_indexonlyscan", "on"},
	{"enable_tidscan", "on"},
	{"plan_cache_mode", "auto"},
	{"jit", "off"},
	{"application_name", "pgshift worker"},
	{"pgshift.internal", "on"},
};

const Setting batch_settings[] = {
	// A batch waits at most this long for a row or table lock, then is tried again: writers never
	// queue behind it for long.
	{"lock_timeout", "1s"},
	// The batch and its checkpoint commit together, so a crash can only lose whole recent batches,
	// which the resumed job redoes (a batch is idempotent): no need to wait for each WAL flush.
	{"synchronous_commit", "off"},
	// A keyset batch is a key range whose upper end the planner cannot see (it is computed in the
	// same statement), and a range on a multi-column key is misestimated anyway: left alone, it may
	// read the whole table for every batch. An index range scan (block ranges: a TID range scan)
	// is always the plan meant here. (The trigger's own lookups are planned under the same
	// settings; those only steer them to an index where one exists.)
	{"enable_seqscan", "off"},
	{"enable_bitmapscan", "off"},
};

}  // namespace

void apply_worker_settings(bool local)
{
	for (const Setting &setting : session_settings)
		(void) set_config_option(setting.name, setting.value, PGC_SUSET, PGC_S_SESSION,
		                         local ? GUC_ACTION_LOCAL : GUC_ACTION_SET, true, ERROR, false);
}

void apply_batch_settings(void)
{
	for (const Setting &setting : batch_settings)
		(void) set_config_option(setting.name, setting.value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true,
		                         ERROR, false);
}
