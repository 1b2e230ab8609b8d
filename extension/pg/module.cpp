// The library's module block, _PG_init, and pgshift.version(): what the CLI checks its own version against.
#include <climits>

#include "pg/dual_write_trigger.hpp"
#include "pg/backfill_pacing.hpp"
#include "pg/replication_wait.hpp"
#include "pg/result_cache.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
PG_FUNCTION_INFO_V1(pgshift_version);
}

bool pgshift_internal_ddl = false;
int pgshift_run_lock_holder = 0;

extern "C" void _PG_init(void)
{
	register_dual_write();
	define_read_schema_settings();
	define_replication_settings();
	define_throttle_settings();
	// Set (locally) while pgshift runs its own DDL, so that DDL capture does not record it.
	DefineCustomBoolVariable("pgshift.internal", "Marks DDL run by pgshift itself (not recorded as an inferred migration).",
	                         NULL, &pgshift_internal_ddl, false, PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	// The process holding the pgshift CLI's run lock on behalf of this session's calls (set locally by
	// the CLI): pgshift._lock lets those calls through and stops everybody else's during a CLI run.
	DefineCustomIntVariable("pgshift.run_lock_holder",
	                        "Process id of the session holding the pgshift CLI run lock for these calls.", NULL,
	                        &pgshift_run_lock_holder, 0, 0, INT_MAX, PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pgshift");
}

extern "C" Datum pgshift_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PGSHIFT_VERSION));
}
