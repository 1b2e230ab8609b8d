// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/postgres_guard.hpp"

extern "C" {
#include "postgres.h"
#include "access/xact.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
}

bool run_in_subtransaction(void (*work)(void *), void *argument, PostgresFailure *failure)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;
	volatile bool began = false;
	// Even starting the subtransaction is inside the guard: no ERROR may leave this frame.
	PG_TRY();
	{
		BeginInternalSubTransaction(nullptr);
		began = true;
		MemoryContextSwitchTo(caller);
		work(argument);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		ErrorData *data = CopyErrorData();
		FlushErrorState();
		if (began)
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		failure->message = data->message;
		failure->sqlstate = unpack_sql_state(data->sqlerrcode);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}
