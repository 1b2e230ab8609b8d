// pgshift's tables (migrations, jobs) are written by the extension's owner only (README, "Security
// model"). The worker runs as the migration's role, and runs its own statements on those tables as
// the owner, between begin_state_access and end_state_access: nothing a user wrote runs meanwhile,
// and the statements resolve names in pg_catalog only, whatever search_path the user code the
// worker ran before (the up expression of a backfill) may have set.
#pragma once

extern "C" {
#include "postgres.h"
}

struct StateAccess {
	Oid user;       // what was in effect before
	int context;
	int guc_level;  // of the pinned search_path
};

// The owner of the pgshift extension in this database.
Oid extension_owner(void);

// Whether pgshift's tables record the role of each migration (0.2.0 on; the library also serves
// 0.1.0's SQL until ALTER EXTENSION pgshift UPDATE).
bool state_records_roles(void);

// Whether pgshift.jobs has the column (the library also serves older versions' SQL).
bool jobs_have_column(const char *column);
// Whether pgshift.jobs has the load-aware throttle's columns (0.4.0 on).
bool state_has_load_throttle(void);

StateAccess begin_state_access(void);
void end_state_access(StateAccess previous);
