#include "pg/replication_wait.hpp"

#include <climits>
#include <cstring>

#include "pg/state_access.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"
}

namespace {

int default_max_lag_ms = 1000;

// The batches the worker committed and some standby has not replayed yet: (end of their WAL, when).
// A fixed ring; when it is full, the newest sample takes the new position and keeps its time, which
// can only make a lag look larger, never hide one.
struct Written {
	XLogRecPtr lsn;
	TimestampTz at;
};
constexpr int ring_size = 256;
Written ring[ring_size];
int ring_start = 0, ring_count = 0;
// Whether this process wrote a reason into the job's throttle, and which job: a new job (or a new
// worker, after one that stopped while it waited) clears whatever is there on its first check.
bool throttled = true;
char throttled_job[NAMEDATALEN * 2 + 16] = "";
int64 written_lag_s = -1;

// How long ago the oldest batch that `replayed` does not include was written (0: none).
int64 lag_ms(XLogRecPtr replayed, TimestampTz now)
{
	for (int i = 0; i < ring_count; i++) {
		const Written &written = ring[(ring_start + i) % ring_size];
		if (written.lsn > replayed)
			return (now - written.at) / 1000;
	}
	return 0;
}

// Forgets the batches every standby has replayed.
void forget_replayed(XLogRecPtr replayed_by_all)
{
	while (ring_count > 0 && ring[ring_start].lsn <= replayed_by_all) {
		ring_start = (ring_start + 1) % ring_size;
		ring_count--;
	}
}

void set_throttle(const char *schema, const char *migration, int32 step, const char *reason)
{
	Oid types[4] = {NAMEOID, TEXTOID, INT4OID, TEXTOID};
	Datum values[4] = {CStringGetDatum(schema), CStringGetTextDatum(migration), Int32GetDatum(step),
	                   reason != nullptr ? CStringGetTextDatum(reason) : (Datum) 0};
	char nulls[4] = {' ', ' ', ' ', reason != nullptr ? ' ' : 'n'};
	// (0.4.0 on, the state too; the batch that follows the wait says how it is paced.)
	SPI_execute_with_args(state_has_load_throttle()
	                          ? "UPDATE pgshift.jobs SET throttle = $4, updated_at = pg_catalog.clock_timestamp(), "
	                            "throttle_state = CASE WHEN $4 IS NOT NULL THEN 'waiting for standbys' END "
	                            "WHERE schema = $1 AND migration = $2 AND step = $3"
	                          : "UPDATE pgshift.jobs SET throttle = $4, updated_at = pg_catalog.clock_timestamp() "
	                            "WHERE schema = $1 AND migration = $2 AND step = $3",
	                      4, types, values, nulls, false, 0);
}

}  // namespace

void define_replication_settings(void)
{
	DefineCustomIntVariable("pgshift.max_replication_lag",
	                        "How far behind a standby may replay before pgshift's backfill waits for it (0: never waits).",
	                        "A job's own bound (pgshift.backfill_configure) takes precedence.", &default_max_lag_ms, 1000, 0,
	                        INT_MAX, PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
}

void note_batch_committed(void)
{
	// The end of the batch's commit record, exactly (other sessions' WAL after it is not the backfill's).
	XLogRecPtr end = XactLastCommitEnd != InvalidXLogRecPtr ? XactLastCommitEnd : GetXLogInsertRecPtr();
	if (ring_count == ring_size) {
		ring[(ring_start + ring_count - 1) % ring_size].lsn = end;
		return;
	}
	ring[(ring_start + ring_count) % ring_size] = Written{end, GetCurrentTimestamp()};
	ring_count++;
}

bool must_wait_for_standbys(const char *schema, const char *migration, int32 step)
{
	SPI_connect();
	// As the extension's owner: pg_stat_replication shows positions only to the privileged.
	StateAccess role = begin_state_access();
	bool waiting = false;
	char *job_key = psprintf("%s/%s/%d", schema, migration, step);
	if (strcmp(job_key, throttled_job) != 0) {
		strlcpy(throttled_job, job_key, sizeof(throttled_job));
		throttled = true;
		written_lag_s = -1;
	}
	// This transaction only notes why the backfill waits: it must not wait itself, neither for a
	// standby (synchronous_commit = remote_apply, on the very standby it waits for) nor for a lock.
	SPI_execute("SELECT pg_catalog.set_config('synchronous_commit', 'local', true), "
	            "pg_catalog.set_config('lock_timeout', '1s', true)",
	            false, 1);
	if (jobs_have_column("throttle")) {   // (0.3.0 on)
		Oid types[3] = {NAMEOID, TEXTOID, INT4OID};
		Datum key[3] = {CStringGetDatum(schema), CStringGetTextDatum(migration), Int32GetDatum(step)};
		// (A job paused or rolled back meanwhile waits for nothing: its batch finds it so, and stops.)
		SPI_execute_with_args("SELECT max_replication_lag_ms FROM pgshift.jobs WHERE schema = $1 AND migration = $2 "
		                      "AND step = $3 AND state IN ('pending', 'running')",
		                      3, types, key, nullptr, true, 1);
		bool isnull = true;
		int bound = SPI_processed == 1 ? default_max_lag_ms : 0;
		if (SPI_processed == 1) {
			Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			if (!isnull)
				bound = DatumGetInt32(value);
		}
		int64 worst = 0;
		char *worst_name = nullptr;
		if (bound > 0) {
			// Physical standbys only: a logical walsender confirms what its consumer has flushed, which
			// says nothing of replay (and a consumer may confirm once a minute).
			SPI_execute("SELECT r.application_name, r.replay_lsn FROM pg_catalog.pg_stat_replication r "
			            "WHERE r.replay_lsn IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots s "
			            "WHERE s.active_pid OPERATOR(pg_catalog.=) r.pid AND s.slot_type OPERATOR(pg_catalog.=) 'logical')",
			            true, 0);
			TimestampTz now = GetCurrentTimestamp();
			XLogRecPtr replayed_by_all = SPI_processed > 0 ? PG_UINT64_MAX : InvalidXLogRecPtr;
			for (uint64 i = 0; i < SPI_processed; i++) {
				bool null_lsn;
				Datum lsn = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null_lsn);
				if (null_lsn)
					continue;
				replayed_by_all = Min(replayed_by_all, DatumGetLSN(lsn));
				int64 lag = lag_ms(DatumGetLSN(lsn), now);
				if (lag > worst) {
					worst = lag;
					worst_name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
				}
			}
			if (SPI_processed == 0)
				ring_count = 0;   // no standby: nothing to wait for, now or for these batches
			else
				forget_replayed(replayed_by_all);
		}
		waiting = bound > 0 && worst > bound;
		// The reason is written when the wait begins and then once a second (its age in whole
		// seconds): that is also WAL for the standby to acknowledge, so that its reply reports a
		// resumed replay soon.
		if (waiting && worst / 1000 != written_lag_s) {
			set_throttle(schema, migration, step,
			             psprintf("waiting for standby \"%s\": it has not replayed what the backfill wrote %.1f s "
			                      "ago (bound %.1f s)",
			                      worst_name != nullptr ? worst_name : "", worst / 1000.0, bound / 1000.0));
			written_lag_s = worst / 1000;
		} else if (!waiting && throttled) {
			set_throttle(schema, migration, step, nullptr);
			written_lag_s = -1;
		}
		throttled = waiting;
	}
	end_state_access(role);
	SPI_finish();
	return waiting;
}
