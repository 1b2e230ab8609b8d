// The library's module block and pgshift.version(): what the CLI checks its own version against.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(pgshift_version);
Datum pgshift_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PGSHIFT_VERSION));
}
}
