// The background worker that runs a schema's jobs (pgshift.jobs): statements that must run outside
// a transaction block, and batched backfills. It is a dynamic background worker, so no
// shared_preload_libraries entry is needed, and it does not depend on the client that started the
// migration: a killed CLI or a dropped connection does not stop it. Each backfill batch is its own
// transaction that also advances the job's checkpoint, so after a crash or restart the next worker
// continues from the last committed batch (pgshift.backfill_resume starts one).
//
// One worker per database and schema: it holds a session-level advisory lock (1886610293,
// hashtext(schema)) while it runs; a second one exits at once. While it runs a statement job (a
// concurrent index build) it also holds the schema's job lock (1886610295, hashtext(schema)), which
// rollback takes before it undoes anything: a job is claimed (its state checked again) under that
// lock, so nothing a job builds can outlive a rollback that ran meanwhile.
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include <cstdint>
#include <optional>

#include "pg/backfill_batch.hpp"
#include "pg/backfill_pacing.hpp"
#include "pg/replication_wait.hpp"
#include "pg/state_access.hpp"
#include "pg/worker_settings.hpp"
#include "pg/write_origin.hpp"

extern "C" {
#include "postgres.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "parser/analyze.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"

PG_FUNCTION_INFO_V1(pgshift_launch_worker);
PGDLLEXPORT void pgshift_job_worker_main(Datum argument);
}

namespace {

constexpr int worker_lock_key = 1886610293;
constexpr int job_lock_key = 1886610295;

// What the launcher hands the worker, in bgw_extra.
struct WorkerArguments {
	Oid database;
	Oid role;
	TransactionId wait_for;         // the launching transaction: its jobs are visible once it ends
	char schema[NAMEDATALEN];
};
static_assert(sizeof(WorkerArguments) <= BGW_EXTRALEN, "worker arguments must fit in bgw_extra");

// One job as the worker needs it, copied out of SPI into the worker's long-lived memory.
struct Job {
	bool found;
	char *migration;
	int step;
	bool is_backfill;   // else a statement run at top level (a concurrent index build, publishing a version)
	char *statement;
	char *cleanup;      // NULL or a statement to run before `statement`
	bool optional;      // a failure is recorded and the job counts as done
	bool role_may;      // the worker's role (the migration's) may still migrate the schema
	char *role_refusal; // why not, when it may not
};

MemoryContext worker_memory;

// After an error caught in the worker's own loop: its data, and the transaction and portal it
// interrupted cleaned up as the backend's error recovery would, so that the worker can go on.
ErrorData *recover_from_error(MemoryContext caller)
{
	MemoryContextSwitchTo(caller);
	ErrorData *error = CopyErrorData();
	FlushErrorState();
	AbortOutOfAnyTransaction();
	PortalErrorCleanup();
	forget_backfill_statement();
	return error;
}

void start_transaction(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

void finish_transaction()
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, nullptr);
}

char *text_value(int row, int column)
{
	char *value = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column);
	if (value == nullptr)
		return nullptr;
	return MemoryContextStrdup(worker_memory, value);
}

bool take_worker_lock(const char *schema)
{
	start_transaction("pgshift: taking the worker lock");
	SPI_connect();
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(schema)};
	SPI_execute_with_args("SELECT pg_catalog.pg_try_advisory_lock(1886610293, pg_catalog.hashtext($1))", 1, types,
	                      values, nullptr, true, 1);
	bool isnull;
	bool locked = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	finish_transaction();
	(void) worker_lock_key;
	return locked;
}

// The schema's job lock (see the top of this file), as pg_advisory_lock(1886610295, hashtext(schema)).
LOCKTAG job_lock_tag(const char *schema)
{
	LOCKTAG tag;
	// As SQL's hashtext(schema): a deterministic collation hashes the bytes alone.
	uint32 schema_hash = DatumGetUInt32(DirectFunctionCall1Coll(hashtext, C_COLLATION_OID, CStringGetTextDatum(schema)));
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(job_lock_key), schema_hash, 2);
	return tag;
}

void take_job_lock(const char *schema)
{
	LOCKTAG tag = job_lock_tag(schema);
	start_transaction("pgshift: waiting for the job lock");
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
	finish_transaction();
}

void release_job_lock(const char *schema)
{
	LOCKTAG tag = job_lock_tag(schema);
	(void) LockRelease(&tag, ExclusiveLock, true);
}

// Whether the job still waits to run (rollback may have removed it since it was read).
bool job_still_runnable(const char *schema, const Job &job)
{
	start_transaction("pgshift: claiming a job");
	SPI_connect();
	Oid types[3] = {NAMEOID, TEXTOID, INT4OID};
	Datum values[3] = {CStringGetDatum(schema), CStringGetTextDatum(job.migration), Int32GetDatum(job.step)};
	StateAccess role = begin_state_access();
	SPI_execute_with_args("SELECT FROM pgshift.jobs WHERE schema = $1 AND migration = $2 AND step = $3 "
	                      "AND state IN ('pending', 'running') FOR UPDATE",
	                      3, types, values, nullptr, false, 1);
	end_state_access(role);
	bool runnable = SPI_processed == 1;
	SPI_finish();
	finish_transaction();
	return runnable;
}

Job next_job(const char *schema)
{
	Job job{};
	start_transaction("pgshift: looking for work");
	SPI_connect();
	Oid types[2] = {NAMEOID, OIDOID};
	Datum values[2] = {CStringGetDatum(schema), ObjectIdGetDatum(GetUserId())};
	// Only the jobs of migrations that run as this worker's role, which must still be allowed to
	// migrate the schema (it may have lost its membership in the owner since start).
	// (0.1.0's SQL, which the library still serves until ALTER EXTENSION pgshift UPDATE, records no
	// role: its worker runs as whoever launched it, as 0.1.0's did.)
	const char *query = state_records_roles()
	    ? "SELECT j.migration, j.step, j.kind = 'backfill', j.statement, j.cleanup, j.optional, "
	      "pgshift._may_migrate($2, $1), "
	      "pg_catalog.format('role %s may no longer migrate schema %I', $2::pg_catalog.regrole, $1) "
	      "FROM pgshift.jobs j "
	      "JOIN pgshift.migrations m ON m.schema = j.schema AND m.name = j.migration "
	      "WHERE j.schema = $1 AND j.state IN ('pending', 'running') AND NOT m.done "
	      "AND coalesce(m.role, (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = m.schema)) = $2 "
	      "AND NOT EXISTS (SELECT FROM pgshift.jobs f WHERE f.schema = j.schema "
	      "AND f.migration = j.migration AND f.state = 'failed') "
	      "ORDER BY m.seq, j.step LIMIT 1"
	    : "SELECT j.migration, j.step, j.kind = 'backfill', j.statement, j.cleanup, j.optional, $2 = $2, NULL "
	      "FROM pgshift.jobs j "
	      "JOIN pgshift.migrations m ON m.schema = j.schema AND m.name = j.migration "
	      "WHERE j.schema = $1 AND j.state IN ('pending', 'running') AND NOT m.done "
	      "AND NOT EXISTS (SELECT FROM pgshift.jobs f WHERE f.schema = j.schema "
	      "AND f.migration = j.migration AND f.state = 'failed') "
	      "ORDER BY m.seq, j.step LIMIT 1";
	StateAccess role = begin_state_access();
	SPI_execute_with_args(query, 2, types, values, nullptr, true, 1);
	end_state_access(role);
	if (SPI_processed == 1) {
		bool isnull;
		job.found = true;
		job.migration = text_value(0, 1);
		job.step = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		job.is_backfill = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		job.statement = text_value(0, 4);
		job.cleanup = text_value(0, 5);
		job.optional = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &isnull));
		job.role_may = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7, &isnull));
		job.role_refusal = text_value(0, 8);
	}
	SPI_finish();
	finish_transaction();
	return job;
}

// Records a job's end in its own transaction (after a failure the batch's one was rolled back).
void mark_job(const char *schema, const Job &job, const char *state, const char *error)
{
	start_transaction("pgshift: recording a job's state");
	SPI_connect();
	Oid types[5] = {NAMEOID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
	Datum values[5] = {CStringGetDatum(schema), CStringGetTextDatum(job.migration), Int32GetDatum(job.step),
	                   CStringGetTextDatum(state), error != nullptr ? CStringGetTextDatum(error) : (Datum) 0};
	char nulls[5] = {' ', ' ', ' ', ' ', error != nullptr ? ' ' : 'n'};
	StateAccess role = begin_state_access();
	SPI_execute_with_args("UPDATE pgshift.jobs SET state = $4, error = $5, updated_at = pg_catalog.clock_timestamp(), "
	                      "started_at = coalesce(started_at, pg_catalog.clock_timestamp()), "
	                      "finished_at = CASE WHEN $4 = 'done' THEN pg_catalog.clock_timestamp() END "
	                      "WHERE schema = $1 AND migration = $2 AND step = $3",
	                      5, types, values, nulls, false, 0);
	end_state_access(role);
	SPI_finish();
	finish_transaction();
}

// Runs a statement the way a client's simple query does, at top level outside a transaction
// block, so that CREATE INDEX CONCURRENTLY and its kin may commit their own transactions.
void run_top_level(const char *sql)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	pgstat_report_activity(STATE_RUNNING, sql);
	// Parse trees and plans must outlive the transactions a statement like CREATE INDEX
	// CONCURRENTLY commits on its own (the backend keeps them in MessageContext for that reason).
	// One context for the worker's life, emptied per statement (also after a failed one).
	static MemoryContext statement_memory = nullptr;
	if (statement_memory == nullptr)
		statement_memory = AllocSetContextCreate(TopMemoryContext, "pgshift top-level statement", ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(statement_memory);
	MemoryContextSwitchTo(statement_memory);
	List *parsed = pg_parse_query(sql);
	ListCell *cell;
	foreach (cell, parsed) {
		MemoryContextSwitchTo(statement_memory);
		RawStmt *statement = lfirst_node(RawStmt, cell);
		bool snapshot_set = false;
		if (analyze_requires_snapshot(statement)) {
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		List *queries = pg_analyze_and_rewrite_fixedparams(statement, sql, nullptr, 0, nullptr);
		List *plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
		if (snapshot_set)
			PopActiveSnapshot();
		Portal portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, nullptr, sql, CreateCommandTag(statement->stmt), plans, nullptr);
		PortalStart(portal, nullptr, 0, InvalidSnapshot);
		DestReceiver *receiver = CreateDestReceiver(DestNone);
		QueryCompletion completion;
		PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &completion);
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);
		CommandCounterIncrement();
	}
	CommitTransactionCommand();
	MemoryContextReset(statement_memory);
	pgstat_report_activity(STATE_IDLE, nullptr);
}

// One backfill batch in a transaction of its own. Returns > 0 while there is more to do, 0 when
// done, -1 when the job was paused meanwhile.
int64 run_batch(const char *schema, const Job &job, int *delay_ms)
{
	// A changed pgshift.max_replication_lag (ALTER SYSTEM, pg_reload_conf) applies to running backfills.
	if (ConfigReloadPending) {
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
	start_transaction("pgshift: replication lag");
	bool wait = must_wait_for_standbys(schema, job.migration, job.step);
	finish_transaction();
	if (wait) {
		*delay_ms = 100;   // (a standby's lag is looked at again then)
		return 1;
	}
	BatchPacing pacing = pacing_for(schema, job.migration, job.step);
	start_transaction("pgshift: backfill batch");
	BackfillBatch batch = run_backfill_batch(schema, job.migration, job.step, false, &pacing);
	finish_transaction();
	if (!batch.ran)
		return -1;
	note_batch_committed();
	if (batch.finished)
		return 0;
	// The pause the throttle decides (the job's batch_delay_ms among its bounds).
	pace_after_batch(schema, job.migration, job.step, batch);
	*delay_ms = 0;
	return batch.rows + 1;
}

// Records how a job ended after its own transaction failed: an optional job's cleanup runs first and
// the job counts as done (skipped), any other job is failed. This runs SQL too, so it is guarded in
// turn: a failure is retried, and if recording keeps failing the worker exits; the job then stays
// `running` without a worker, which backfill_resume (and the CLI, and complete's hint) deal with.
bool record_job_end(const char *schema, const Job &job, const char *message)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile bool recorded = false;
	PG_TRY();
	{
		if (job.optional) {
			if (job.cleanup != nullptr)
				run_top_level(job.cleanup);
			mark_job(schema, job, "done", psprintf("skipped: %s", message));
		} else {
			mark_job(schema, job, "failed", message);
		}
		recorded = true;
	}
	PG_CATCH();
	{
		ErrorData *error = recover_from_error(caller);
		elog(LOG, "pgshift worker: could not record the end of job %s/%d of schema \"%s\": %s", job.migration,
		     job.step, schema, error->message);
		FreeErrorData(error);
	}
	PG_END_TRY();
	return recorded;
}

void record_job_end_or_exit(const char *schema, const Job &job, const char *message)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		if (record_job_end(schema, job, message))
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	proc_exit(1);
}

// A statement job, claimed under the job lock: rollback cannot remove it while it runs, and one
// that rollback removed before the claim is not run at all.
void run_statement_job(const char *schema, const Job &job, volatile bool *holding_job_lock)
{
	take_job_lock(schema);
	*holding_job_lock = true;
	if (job_still_runnable(schema, job)) {
		mark_job(schema, job, "running", nullptr);
		if (job.cleanup != nullptr)
			run_top_level(job.cleanup);
		run_top_level(job.statement);
		// (An index expression's function may have changed the session's settings.)
		start_transaction("pgshift: settings");
		apply_worker_settings();
		finish_transaction();
		mark_job(schema, job, "done", nullptr);
	}
	release_job_lock(schema);
	*holding_job_lock = false;
}

// Runs one step of `job`; returns false when the job cannot go on (paused, failed or done).
bool run_step(const char *schema, const Job &job)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile bool go_on = true;
	volatile int delay_ms = 0;
	volatile bool holding_job_lock = false;
	PG_TRY();
	{
		if (job.is_backfill) {
			int delay = 0;
			int64 rows = run_batch(schema, job, &delay);
			delay_ms = delay;
			go_on = rows > 0;
		} else {
			run_statement_job(schema, job, &holding_job_lock);
			go_on = false;
		}
	}
	PG_CATCH();
	{
		ErrorData *error = recover_from_error(caller);
		// Lock timeouts, deadlocks and serialization failures pass: the batch is tried again. So does a
		// cancel (rollback cancels a concurrent index build before it takes the job lock): it says
		// nothing about the job, which must not be recorded failed, nor an optional one skipped. If
		// the rollback goes through, the job is gone when the worker claims it again; if it fails, the
		// job runs again.
		if (error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE || error->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		    error->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE || error->sqlerrcode == ERRCODE_QUERY_CANCELED) {
			delay_ms = 200;
		} else {
			elog(LOG, "pgshift worker: job %s/%d of schema \"%s\" %s: %s", job.migration, job.step, schema,
			     job.optional ? "skipped" : "failed", error->message);
			record_job_end_or_exit(schema, job, error->message);
			go_on = false;
		}
		// Session locks outlive the aborted transaction: the job lock is let go only now, after the
		// job's end is recorded, so that a rollback waiting for it finds the job settled.
		if (holding_job_lock)
			release_job_lock(schema);
		FreeErrorData(error);
	}
	PG_END_TRY();
	if (delay_ms > 0) {
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, delay_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	return go_on;
}

}  // namespace

extern "C" void pgshift_job_worker_main(Datum)
{
	WorkerArguments arguments;
	memcpy(&arguments, MyBgworkerEntry->bgw_extra, sizeof(arguments));
	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(arguments.database, arguments.role, 0);
	// Before any SQL: the role's and database's defaults must not shape what the worker computes.
	// (Set in a transaction, as a client's SET is: some settings check the catalogs.)
	StartTransactionCommand();
	apply_worker_settings();
	CommitTransactionCommand();
	pgstat_report_appname("pgshift worker");
	worker_memory = AllocSetContextCreate(TopMemoryContext, "pgshift worker", ALLOCSET_DEFAULT_SIZES);

	// The jobs are written by the launching transaction: wait until it has ended.
	if (TransactionIdIsValid(arguments.wait_for)) {
		StartTransactionCommand();
		XactLockTableWait(arguments.wait_for, nullptr, nullptr, XLTW_None);
		CommitTransactionCommand();
	}
	if (!take_worker_lock(arguments.schema))
		proc_exit(0);   // another worker runs this schema's jobs

	for (;;) {
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(worker_memory);
		Job job = next_job(arguments.schema);
		if (!job.found)
			break;
		if (!job.role_may) {
			// The migration's role has lost the right to migrate the schema since it started: its
			// jobs stop, and say why (a superuser can roll the migration back).
			mark_job(arguments.schema, job, "failed", job.role_refusal);
			continue;
		}
		while (run_step(arguments.schema, job))
			CHECK_FOR_INTERRUPTS();
	}
	proc_exit(0);
}

// The worker connects as the role that launches it, which PostgreSQL lets connect only if it may
// log in: say so now, rather than have every launch die on connecting.
static void require_login_role(const char *schema, Oid role_oid)
{
	HeapTuple role = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role_oid));
	if (!HeapTupleIsValid(role))
		elog(ERROR, "role %u does not exist", role_oid);
	bool can_login = reinterpret_cast<Form_pg_authid>(GETSTRUCT(role))->rolcanlogin;
	ReleaseSysCache(role);
	if (!can_login)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("the jobs of schema \"%s\" would run as role \"%s\", which cannot log in", schema,
		                       GetUserNameFromId(role_oid, false)),
		                errdetail("pgshift's background worker runs as the role that started the migration."),
		                errhint("Start the migration as a role that can log in and has the tables' privileges, or ALTER ROLE %s LOGIN.",
		                        quote_identifier(GetUserNameFromId(role_oid, false)))));
}

extern "C" Datum pgshift_launch_worker(PG_FUNCTION_ARGS)
{
	// 0.2.0's SQL passes the role to run as: only its implementations (as the extension's owner)
	// may, whatever was granted. (0.1.0's passes none, and the worker runs as the caller.)
	if (PG_NARGS() > 1 && !superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied for function _launch_worker")));
	require_login_role(NameStr(*PG_GETARG_NAME(0)), PG_NARGS() > 1 ? PG_GETARG_OID(1) : GetUserId());
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	WorkerArguments arguments;
	memset(&arguments, 0, sizeof(arguments));
	arguments.database = MyDatabaseId;
	// The migration's role (0.1.0's SQL passes none: then the caller, as 0.1.0 did).
	arguments.role = PG_NARGS() > 1 ? PG_GETARG_OID(1) : GetUserId();
	arguments.wait_for = GetTopTransactionIdIfAny();
	strlcpy(arguments.schema, NameStr(*PG_GETARG_NAME(0)), NAMEDATALEN);

	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pgshift", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pgshift_job_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgshift worker for schema %s", arguments.schema);
	strlcpy(worker.bgw_type, "pgshift worker", BGW_MAXLEN);
	memcpy(worker.bgw_extra, &arguments, sizeof(arguments));
	worker.bgw_notify_pid = 0;
	// Without a free slot the jobs wait (nothing fails): ensure_worker, which the CLI and
	// wait_for_jobs call while they wait, and backfill_resume try again.
	if (!RegisterDynamicBackgroundWorker(&worker, nullptr)) {
		ereport(WARNING, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
		                  errmsg("no background worker slot is free: the jobs of schema \"%s\" wait for one",
		                         arguments.schema),
		                  errhint("Raise max_worker_processes, or free a slot; then SELECT pgshift.backfill_resume(%s) "
		                          "starts them (the pgshift CLI does while it waits).",
		                          quote_literal_cstr(arguments.schema))));
		PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}
