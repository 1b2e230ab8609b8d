// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/state_access.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "catalog/namespace.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

Oid extension_owner(void)
{
	// An extension's owner does not change while it exists (it may be dropped and created again).
	static Oid cached_extension = InvalidOid;
	static Oid owner = InvalidOid;
	Oid extension = get_extension_oid("pgshift", false);
	if (extension == cached_extension)
		return owner;
	Relation pg_extension = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(extension));
	SysScanDesc scan = systable_beginscan(pg_extension, ExtensionOidIndexId, true, nullptr, 1, &key);
	HeapTuple tuple = systable_getnext(scan);
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "pgshift: extension %u not found", extension);
	owner = reinterpret_cast<Form_pg_extension>(GETSTRUCT(tuple))->extowner;
	systable_endscan(scan);
	table_close(pg_extension, AccessShareLock);
	cached_extension = extension;
	return owner;
}

bool state_records_roles(void)
{
	Oid migrations = get_relname_relid("migrations", get_namespace_oid("pgshift", false));
	return OidIsValid(migrations) && get_attnum(migrations, "role") != InvalidAttrNumber;
}

bool jobs_have_column(const char *column)
{
	Oid jobs = get_relname_relid("jobs", get_namespace_oid("pgshift", false));
	return OidIsValid(jobs) && get_attnum(jobs, column) != InvalidAttrNumber;
}

bool state_has_load_throttle(void)
{
	return jobs_have_column("throttle_state");
}

StateAccess begin_state_access(void)
{
	StateAccess previous;
	GetUserIdAndSecContext(&previous.user, &previous.context);
	previous.guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
	                         false);
	SetUserIdAndSecContext(extension_owner(), previous.context | SECURITY_LOCAL_USERID_CHANGE);
	return previous;
}

void end_state_access(StateAccess previous)
{
	SetUserIdAndSecContext(previous.user, previous.context);
	AtEOXact_GUC(false, previous.guc_level);
}
