// Placeholder until the planner lands.
extern "C" {
#include "postgres.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(pgshift_plan_start);
Datum pgshift_plan_start(PG_FUNCTION_ARGS)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("plan_start is not built yet")));
	PG_RETURN_NULL();
}
PG_FUNCTION_INFO_V1(pgshift_version_schema_sql);
Datum pgshift_version_schema_sql(PG_FUNCTION_ARGS)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("version_schema_sql is not built yet")));
	PG_RETURN_NULL();
}
}
