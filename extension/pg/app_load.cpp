#include "pg/app_load.hpp"

#include <cstdio>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include "postgres.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/backend_status.h"
#include "utils/wait_event.h"
}

int app_sessions_running(void)
{
	// A fresh copy of the status array each time (the copy is otherwise kept until transaction end).
	pgstat_clear_snapshot();
	int running = 0;
	int backends = pgstat_fetch_stat_numbackends();
	for (int i = 1; i <= backends; i++) {
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		if (local == nullptr)
			continue;
		const PgBackendStatus &status = local->backendStatus;
		if (status.st_backendType != B_BACKEND || status.st_procpid == MyProcPid)
			continue;
		if (status.st_state != STATE_RUNNING && status.st_state != STATE_FASTPATH)
			continue;
		PGPROC *proc = BackendPidGetProc(status.st_procpid);
		uint32 wait_class = proc != nullptr ? (*reinterpret_cast<volatile uint32 *>(&proc->wait_event_info) & 0xFF000000) : 0;
		// pg_sleep, an extension's wait (pgshift.wait_for_jobs), or the client: not load.
		if (wait_class == PG_WAIT_TIMEOUT || wait_class == PG_WAIT_EXTENSION || wait_class == PG_WAIT_CLIENT ||
		    wait_class == PG_WAIT_ACTIVITY)
			continue;
		running++;
	}
	pgstat_clear_snapshot();
	return running;
}

int machine_cpus(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? static_cast<int>(cpus) : 1;
}

namespace {

struct CpuReading {
	double at;        // seconds, monotonic
	double busy;      // seconds of CPU time the machine spent busy
	double own;       // seconds of CPU time this process used
};

bool read_cpu(CpuReading *reading)
{
	FILE *stat = fopen("/proc/stat", "r");
	if (stat == nullptr)
		return false;
	unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
	int fields = fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq,
	                    &softirq, &steal);
	fclose(stat);
	if (fields < 4)
		return false;
	const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	reading->at = static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
	reading->busy = static_cast<double>(user + nice + system + irq + softirq + steal) * tick;
	reading->own = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
	               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
	return true;
}

CpuReading last_reading;
bool have_reading = false;

}  // namespace

bool others_busy_cpus(double *cpus)
{
	CpuReading now;
	if (!read_cpu(&now))
		return false;
	if (!have_reading) {
		last_reading = now;
		have_reading = true;
		return false;
	}
	const double elapsed = now.at - last_reading.at;
	if (elapsed < 0.1)
		return false;
	const double others = (now.busy - last_reading.busy) - (now.own - last_reading.own);
	*cpus = others > 0 ? others / elapsed : 0.0;
	last_reading = now;
	return true;
}
