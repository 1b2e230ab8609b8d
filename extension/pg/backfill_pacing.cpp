// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/backfill_pacing.hpp"

#include <cstring>
#include <string>

#include "core/backfill_throttle.hpp"
#include "pg/app_load.hpp"
#include "pg/state_access.hpp"

extern "C" {
#include "postgres.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace {

constexpr int throttle_auto = 0, throttle_off = 1;
const struct config_enum_entry throttle_modes[] = {{"auto", throttle_auto, false}, {"off", throttle_off, false}, {nullptr, 0, false}};
int default_mode = throttle_auto;

constexpr long slice_ms = 20;            // how often a pause samples the load
constexpr long settings_every_ms = 1000; // how often a long pause reads the job's settings again

// The worker's state, for one job at a time.
struct Pacing {
	char job[NAMEDATALEN * 2 + 16];
	pgshift::RecentAverage sessions{1.0};   // the app's active sessions
	pgshift::RecentAverage cpus_used{1.0};  // the CPUs the machine's other processes use
	pgshift::RecentRate rate;
	pgshift::ThrottleDecision decision;
	bool decided;
};
Pacing pacing;
// The decision's texts, as the next batch reports them.
char reported_state[32];
char reported_reason[256];

double seconds_now()
{
	return static_cast<double>(GetCurrentTimestamp()) / 1e6;
}

void sample_load()
{
	const double now = seconds_now();
	pacing.sessions.add(app_sessions_running(), now);
	double others;
	if (others_busy_cpus(&others))
		pacing.cpus_used.add(others, now);
}

void same_job(const char *schema, const char *migration, int32 step)
{
	char key[sizeof(pacing.job)];
	snprintf(key, sizeof(key), "%s/%s/%d", schema, migration, step);
	if (strcmp(key, pacing.job) == 0)
		return;
	strlcpy(pacing.job, key, sizeof(pacing.job));
	pacing.sessions = pgshift::RecentAverage(1.0);
	pacing.cpus_used = pgshift::RecentAverage(1.0);
	pacing.rate = pgshift::RecentRate();
	pacing.decided = false;
	pacing.rate.add(0, seconds_now());
}

// The core decides; no exception (only std::bad_alloc is possible there) may cross into
// PostgreSQL's frames: then the batch pauses as if the machine were busy, and reports nothing.
void decide(const pgshift::ThrottleSettings &settings, const BackfillBatch &batch) noexcept
{
	try {
		pacing.decision = pgshift::decide_throttle(settings, pgshift::AppLoad{pacing.sessions.value(), pacing.cpus_used.value()},
		                                           machine_cpus(), batch.ms, batch.rows);
	} catch (...) {
		pacing.decision.pause_ms = 100;
		pacing.decision.batch_target_ms = pgshift::ThrottleTuning::busy_batch_ms;
		pacing.decision.max_batch_rows.reset();
		pacing.decision.state.clear();
		pacing.decision.reason.clear();
	}
}

// Reads the job's settings in a transaction of its own; false: the job no longer runs.
bool reread_settings(const char *schema, const char *migration, int32 step, pgshift::ThrottleSettings *settings)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	SPI_connect();
	StateAccess role = begin_state_access();
	bool runnable = read_throttle_settings(schema, migration, step, settings);
	end_state_access(role);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return runnable;
}

}  // namespace

void define_throttle_settings(void)
{
	DefineCustomEnumVariable("pgshift.backfill_throttle",
	                         "Whether pgshift's backfill yields to the application's load (auto) or not (off).",
	                         "A job's own mode (pgshift.backfill_configure) takes precedence.", &default_mode, throttle_auto,
	                         throttle_modes, PGC_SIGHUP, 0, NULL, NULL, NULL);
}

bool default_load_aware_throttle(void)
{
	return default_mode == throttle_auto;
}

BatchPacing pacing_for(const char *schema, const char *migration, int32 step)
{
	same_job(schema, migration, step);
	BatchPacing next{pgshift::ThrottleTuning::idle_batch_ms, std::nullopt, nullptr, nullptr, std::nullopt};
	if (!pacing.decided)
		return next;
	next.target_ms = pacing.decision.batch_target_ms;
	if (pacing.decision.max_batch_rows)
		next.max_rows = *pacing.decision.max_batch_rows;
	if (!pacing.decision.state.empty()) {
		strlcpy(reported_state, pacing.decision.state.c_str(), sizeof(reported_state));
		strlcpy(reported_reason, pacing.decision.reason.c_str(), sizeof(reported_reason));
		next.state = reported_state;
		next.reason = reported_reason;
	}
	next.rows_per_second = pacing.rate.rows_per_second();
	return next;
}

void pace_after_batch(const char *schema, const char *migration, int32 step, const BackfillBatch &batch)
{
	same_job(schema, migration, step);
	sample_load();
	pgshift::ThrottleSettings settings = batch.settings;
	decide(settings, batch);
	pacing.decided = true;
	TimestampTz began = GetCurrentTimestamp(), settings_read = began;
	for (;;) {
		long waited = (GetCurrentTimestamp() - began) / 1000;
		long remaining = static_cast<long>(pacing.decision.pause_ms) - waited;
		if (remaining <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, Min(remaining, slice_ms),
		                 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending) {   // pgshift.backfill_throttle changed (ALTER SYSTEM, pg_reload_conf)
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			settings_read = 0;   // and the job's mode may defer to it: read again now
		}
		sample_load();
		if ((GetCurrentTimestamp() - settings_read) / 1000 >= settings_every_ms) {
			settings_read = GetCurrentTimestamp();
			if (!reread_settings(schema, migration, step, &settings))
				break;   // paused, rolled back: the next batch finds it so
		}
		// The load and the settings as they are now: an application that went quiet ends the pause.
		decide(settings, batch);
	}
	// The rate counts the batch's rows over the batch and its pause.
	pacing.rate.add(batch.rows, seconds_now());
}
