// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include <cstdint>
#include <optional>

#include "core/batch_sizing.hpp"
#include "pg/backfill_assignments.hpp"
#include "pg/backfill_batch.hpp"
#include "pg/backfill_pacing.hpp"
#include "pg/state_access.hpp"
#include "pg/worker_settings.hpp"
#include "pg/write_origin.hpp"

extern "C" {
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(pgshift_backfill_batch);
}

namespace {

int32 unpaced_batch_size(HeapTuple job_row, TupleDesc description, const BatchPacing *pacing)
{
	bool isnull;
	Datum fixed = SPI_getbinval(job_row, description, 3, &isnull);
	if (!isnull)
		return DatumGetInt32(fixed);
	std::optional<std::int32_t> last_size;
	std::optional<double> last_ms;
	Datum value = SPI_getbinval(job_row, description, 5, &isnull);
	if (!isnull)
		last_size = DatumGetInt32(value);
	value = SPI_getbinval(job_row, description, 6, &isnull);
	if (!isnull)
		last_ms = DatumGetFloat8(value);
	return pgshift::next_batch_size(last_size, last_ms,
	                                pacing != nullptr ? pacing->target_ms : pgshift::BatchSizing::target_ms);
}

// The job's fixed batch size, or the adaptive one following the last batch's duration
// (columns 3, 5, 6 of the job row: batch_size, last_batch_size, last_batch_ms), within the pacing's cap.
int32 chosen_batch_size(HeapTuple job_row, TupleDesc description, const BatchPacing *pacing)
{
	const int32 unpaced = unpaced_batch_size(job_row, description, pacing);
	return pacing != nullptr && pacing->max_rows ? Min(unpaced, *pacing->max_rows) : unpaced;
}

// The throttle's columns of the job row from column `first` on (throttle_mode, max_rows_per_second,
// duty_cycle; NULL mode: the server's setting), with the row's batch_delay_ms.
pgshift::ThrottleSettings settings_of(HeapTuple row, TupleDesc description, int first, int delay_column)
{
	pgshift::ThrottleSettings settings;
	bool isnull;
	settings.load_aware = default_load_aware_throttle();
	char *mode = SPI_getvalue(row, description, first);
	if (mode != nullptr)
		settings.load_aware = strcmp(mode, "off") != 0;
	Datum value = SPI_getbinval(row, description, first + 1, &isnull);
	if (!isnull)
		settings.max_rows_per_second = DatumGetInt32(value);
	value = SPI_getbinval(row, description, first + 2, &isnull);
	if (!isnull)
		settings.duty_cycle = DatumGetFloat4(value);
	value = SPI_getbinval(row, description, delay_column, &isnull);
	if (!isnull)
		settings.batch_delay_ms = DatumGetInt32(value);
	return settings;
}

// Before 0.4.0's SQL the job has no throttle columns: the same three, as NULLs.
const char *throttle_columns()
{
	return state_has_load_throttle() ? "throttle_mode, max_rows_per_second, duty_cycle"
	                                 : "NULL::text, NULL::integer, NULL::real";
}

}  // namespace

bool read_throttle_settings(const char *schema, const char *migration, int32 step, pgshift::ThrottleSettings *settings)
{
	Oid key_types[3] = {NAMEOID, TEXTOID, INT4OID};
	Datum key[3] = {CStringGetDatum(schema), CStringGetTextDatum(migration), Int32GetDatum(step)};
	SPI_execute_with_args(psprintf("SELECT batch_delay_ms, %s FROM pgshift.jobs WHERE schema = $1 AND migration = $2 "
	                               "AND step = $3 AND state IN ('pending', 'running')",
	                               throttle_columns()),
	                      3, key_types, key, nullptr, true, 1);
	if (SPI_processed != 1)
		return false;
	*settings = settings_of(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, 1);
	return true;
}

BackfillBatch run_backfill_batch(const char *schema, const char *migration, int32 step, bool even_paused,
                                 const BatchPacing *pacing)
{
	BackfillBatch batch{false, false, 0, 0, 0, {}};
	SPI_connect();
	apply_batch_settings();
	Oid key_types[3] = {NAMEOID, TEXTOID, INT4OID};
	Datum key[3] = {CStringGetDatum(schema), CStringGetTextDatum(migration), Int32GetDatum(step)};
	StateAccess role = begin_state_access();
	bool reports = pacing != nullptr && pacing->state != nullptr && state_has_load_throttle();
	SPI_execute_with_args(psprintf("SELECT state, cursor, batch_size, batch_delay_ms, last_batch_size, last_batch_ms, "
	                               "statement, %s, pg_catalog.to_regclass(pg_catalog.quote_ident(schema) || '.' || "
	                               "pg_catalog.quote_ident(table_name))::pg_catalog.oid FROM pgshift.jobs "
	                               "WHERE schema = $1 AND migration = $2 AND step = $3 FOR UPDATE",
	                               throttle_columns()),
	                      3, key_types, key, nullptr, false, 1);
	end_state_access(role);
	if (SPI_processed != 1) {
		SPI_finish();
		return batch;
	}
	bool isnull, cursor_null;
	char *state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	Datum cursor = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &cursor_null);
	if (!cursor_null)
		cursor = SPI_datumTransfer(cursor, false, -1);
	int32 batch_size = chosen_batch_size(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, pacing);
	batch.settings = settings_of(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, 4);
	// A rate bound holds from the first batch on (the pacing's cap comes with its first decision).
	if (batch.settings.max_rows_per_second)
		batch_size = Min(batch_size, pgshift::rate_batch_cap(*batch.settings.max_rows_per_second));
	batch.delay_ms = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	bool runnable = strcmp(state, "pending") == 0 || strcmp(state, "running") == 0 ||
	                (even_paused && strcmp(state, "paused") == 0);
	if (!runnable) {
		SPI_finish();
		return batch;
	}

	char *statement = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7);
	Datum table = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 11, &isnull);
	// The batch computes the new columns in its SET list when it can, rather than firing the trigger.
	ComputingBatch computing{nullptr, InvalidOid};
	bool computes = !isnull && computing_batch(DatumGetObjectId(table), statement, &computing);
	TimestampTz started = GetCurrentTimestamp();
	Oid batch_types[2] = {TEXTARRAYOID, INT4OID};
	Datum batch_args[2] = {cursor, Int32GetDatum(batch_size)};
	char batch_nulls[2] = {cursor_null ? 'n' : ' ', ' '};
	// The batch's statement (and no statement it runs) is the backfill: see write_origin.hpp. The
	// mark must not outlive it, even when it fails (the next statement would be taken for a batch).
	expect_backfill_statement(computes ? computing.statement : statement, computes);
	// What the user's code it fires (up expressions) changes in the settings goes with it.
	int guc_level = NewGUCNestLevel();
	volatile bool unrecognized = false;
	PG_TRY();
	{
		if (computes)
			run_computing_batch(computing, 2, batch_types, batch_args, batch_nulls);
		else
			SPI_execute_with_args(statement, 2, batch_types, batch_args, batch_nulls, false, 1);
	}
	PG_FINALLY();
	{
		unrecognized = forget_backfill_statement();
	}
	PG_END_TRY();
	// Unmarked, a batch that sets only the new columns would have been taken for a write of the new
	// version (pg/dual_write_trigger.cpp): never commit one.
	if (unrecognized && computes)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("pgshift: the backfill batch of table \"%s\" ran without being recognized as one",
		                       get_rel_name(DatumGetObjectId(table)))));
	AtEOXact_GUC(false, guc_level);
	int64 rows = 0;
	Datum next_cursor = (Datum) 0;
	bool next_null = true;
	if (SPI_processed == 1) {
		rows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		next_cursor = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &next_null);
		if (!next_null)
			next_cursor = SPI_datumTransfer(next_cursor, false, -1);
	}
	double batch_ms = (double) (GetCurrentTimestamp() - started) / 1000.0;

	Oid update_types[11] = {NAMEOID, TEXTOID, INT4OID, INT8OID, TEXTARRAYOID, FLOAT8OID, BOOLOID, INT4OID,
	                        TEXTOID, TEXTOID, FLOAT8OID};
	Datum update_args[11] = {key[0], key[1], key[2], Int64GetDatum(rows), next_cursor, Float8GetDatum(batch_ms),
	                         BoolGetDatum(next_null), Int32GetDatum(batch_size), (Datum) 0, (Datum) 0, (Datum) 0};
	char update_nulls[11] = {' ', ' ', ' ', ' ', next_null ? 'n' : ' ', ' ', ' ', ' ', 'n', 'n', 'n'};
	if (reports) {
		update_args[8] = CStringGetTextDatum(pacing->state);
		update_nulls[8] = ' ';
		if (pacing->reason != nullptr) {
			update_args[9] = CStringGetTextDatum(pacing->reason);
			update_nulls[9] = ' ';
		}
		if (pacing->rows_per_second) {
			update_args[10] = Float8GetDatum(*pacing->rows_per_second);
			update_nulls[10] = ' ';
		}
	}
	// A batch returns (rows, next cursor); no next cursor means the job is done. The worker's batch
	// also says how its throttle paces it (the state, the reason, the recent rate; none once done).
	role = begin_state_access();
	SPI_execute_with_args(
	    psprintf("UPDATE pgshift.jobs SET rows_done = rows_done + $4, cursor = CASE WHEN $7 THEN cursor ELSE $5 END, "
	             "batches = batches + 1, last_batch_size = $8, last_batch_ms = $6, max_batch_ms = greatest(max_batch_ms, $6), "
	             "state = CASE WHEN $7 THEN 'done' WHEN state = 'paused' THEN 'paused' ELSE 'running' END, "
	             "started_at = coalesce(started_at, pg_catalog.clock_timestamp()), "
	             "finished_at = CASE WHEN $7 THEN pg_catalog.clock_timestamp() END, updated_at = pg_catalog.clock_timestamp()%s "
	             "WHERE schema = $1 AND migration = $2 AND step = $3",
	             reports ? ", throttle_state = CASE WHEN $7 THEN NULL ELSE $9 END, throttle = CASE WHEN $7 THEN NULL ELSE $10 END, "
	                       "recent_rows_per_second = CASE WHEN $7 THEN NULL ELSE $11 END"
	                     : ""),
	    reports ? 11 : 8, update_types, update_args, update_nulls, false, 0);
	end_state_access(role);
	SPI_finish();
	batch.ran = true;
	batch.ms = batch_ms;
	batch.finished = next_null;
	batch.rows = rows;
	return batch;
}


// pgshift._backfill_batch(schema, migration, step) -> rows: one batch of the job in this
// transaction, as the worker runs it (its settings last only as long as the call), also of a paused
// job, which stays paused; NULL when the job is not there, failed or done.
extern "C" Datum pgshift_backfill_batch(PG_FUNCTION_ARGS)
{
	// It writes pgshift's tables as their owner: for tests of exact interleavings, by a superuser.
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied for function _backfill_batch")));
	const char *schema = NameStr(*PG_GETARG_NAME(0));
	const char *migration = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32 step = PG_GETARG_INT32(2);
	int nest_level = NewGUCNestLevel();
	apply_worker_settings(true);   // the worker's own: its cursor must read back the same in the worker
	BackfillBatch batch = run_backfill_batch(schema, migration, step, true);
	AtEOXact_GUC(false, nest_level);   // they last as long as the call
	if (!batch.ran)
		PG_RETURN_NULL();
	PG_RETURN_INT64(batch.rows);
}
