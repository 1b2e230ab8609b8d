// The conditions of the version schemas' views (core/version_views.hpp says why they exist).
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(pgshift_version_view_open);
PG_FUNCTION_INFO_V1(pgshift_version_view_pending);
}

// pgshift._version_view_open(): immutable `true`. The planner folds it into a constant, and that
// call is what loads this library (and its executor hook) before a write through the view runs.
extern "C" Datum pgshift_version_view_open(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(true);
}

// pgshift._version_view_pending(version): the views of a version whose backfill still runs refuse
// every read and write, so nobody sees or overwrites a value before it is computed.
extern "C" Datum pgshift_version_view_pending(PG_FUNCTION_ARGS)
{
	const char *version = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	                errmsg("version schema \"%s\" is not published yet: its backfill is still running", version),
	                errhint("It opens under its name once every row has its new values: watch pgshift.backfill_progress, "
	                        "or wait with CALL pgshift.wait_for_jobs(...).")));
	PG_RETURN_BOOL(false);
}
