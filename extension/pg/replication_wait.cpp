#include "pg/replication_wait.hpp"

#include <climits>

#include "pg/state_access.hpp"

extern "C" {
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

// The batches the worker committed lately: (end of their WAL, when). A fixed ring: the oldest are
// forgotten, which can only make a lag look smaller than the bound allows by the ring's span.
struct Written {
	XLogRecPtr lsn;
	TimestampTz at;
};
constexpr int ring_size = 256;
Written ring[ring_size];
int ring_start = 0, ring_count = 0;
bool throttled = false;

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

// Whether pgshift's SQL has the columns (0.3.0 on; the library also serves older SQL).
bool jobs_have_throttle(void)
{
	SPI_execute("SELECT FROM pg_catalog.pg_attribute WHERE attrelid = 'pgshift.jobs'::pg_catalog.regclass "
	            "AND attname = 'throttle' AND NOT attisdropped",
	            true, 1);
	return SPI_processed == 1;
}

void set_throttle(const char *schema, const char *migration, int32 step, const char *reason)
{
	Oid types[4] = {NAMEOID, TEXTOID, INT4OID, TEXTOID};
	Datum values[4] = {CStringGetDatum(schema), CStringGetTextDatum(migration), Int32GetDatum(step),
	                   reason != nullptr ? CStringGetTextDatum(reason) : (Datum) 0};
	char nulls[4] = {' ', ' ', ' ', reason != nullptr ? ' ' : 'n'};
	SPI_execute_with_args("UPDATE pgshift.jobs SET throttle = $4, updated_at = pg_catalog.clock_timestamp() "
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
	if (ring_count == ring_size) {
		ring_start = (ring_start + 1) % ring_size;
		ring_count--;
	}
	ring[(ring_start + ring_count) % ring_size] = Written{GetXLogInsertRecPtr(), GetCurrentTimestamp()};
	ring_count++;
}

bool must_wait_for_standbys(const char *schema, const char *migration, int32 step)
{
	SPI_connect();
	// As the extension's owner: pg_stat_replication shows positions only to the privileged.
	StateAccess role = begin_state_access();
	bool waiting = false;
	if (jobs_have_throttle()) {
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
			SPI_execute("SELECT application_name, replay_lsn FROM pg_catalog.pg_stat_replication WHERE replay_lsn IS NOT NULL",
			            true, 0);
			TimestampTz now = GetCurrentTimestamp();
			for (uint64 i = 0; i < SPI_processed; i++) {
				bool null_lsn;
				Datum lsn = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null_lsn);
				int64 lag = null_lsn ? 0 : lag_ms(DatumGetLSN(lsn), now);
				if (lag > worst) {
					worst = lag;
					worst_name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
				}
			}
		}
		waiting = bound > 0 && worst > bound;
		if (waiting)
			set_throttle(schema, migration, step,
			             psprintf("waiting for standby \"%s\": it has not replayed what the backfill wrote %lld ms "
			                      "ago (bound %d ms)",
			                      worst_name != nullptr ? worst_name : "", static_cast<long long>(worst), bound));
		else if (throttled)
			set_throttle(schema, migration, step, nullptr);
		throttled = waiting;
	}
	end_state_access(role);
	SPI_finish();
	return waiting;
}
