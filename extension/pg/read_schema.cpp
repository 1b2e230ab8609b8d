// pgshift.read_schema(schema name) -> jsonb. Placeholder until the catalog reader lands.
extern "C" {
#include "postgres.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(pgshift_read_schema);
Datum pgshift_read_schema(PG_FUNCTION_ARGS)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("read_schema is not built yet")));
	PG_RETURN_NULL();
}
}
