// The application's load right now, for the backfill's throttle (core/backfill_throttle.hpp): how
// many client sessions run a statement, read from PostgreSQL's backend status array (shared
// memory; what pg_stat_activity shows), with no transaction and no catalog access.
#pragma once

// Client backends, other than this process, that are running a statement and not sleeping or
// waiting for their client: on a CPU, or waiting for a lock, I/O or another backend.
int app_sessions_running(void);

// The CPUs this machine has online, or, when the server's control group (or one above it) limits
// its CPU time, that limit in whole CPUs (core/cgroup_cpu.hpp).
int machine_cpus(void);

// How many CPUs the machine's other processes kept busy since the last call that returned a value
// (from /proc/stat, or within a CPU limit from the limited group's usage, less this process's own
// time); false on the first call, when less than 100 ms
// passed, or where /proc/stat cannot be read. This sees an application whose clients run on the
// same machine, or whose sessions spend their time in round trips, which the sessions miss.
bool others_busy_cpus(double *cpus);
