#include "pg/app_load.hpp"

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "core/cgroup_cpu.hpp"
#include <sys/resource.h>
#include <sys/stat.h>
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

namespace {

// The CPUs the server's control group may use and where its usage is read, found once per process:
// the tightest limit of its group and the groups above it (cgroup v2, else v1), with the usage file
// of the group that sets it. No limit: the machine's CPUs and /proc/stat.
struct CpuSource {
	bool resolved = false;
	double limit = 0;               // CPUs; 0: no limit
	char usage_file[1024] = "";     // "" : none
	int usage_version = 0;          // 2: cpu.stat, 1: cpuacct.usage
};
CpuSource source;

// A small file's text (up to 4 kB), or "" when it cannot be read. (No PostgreSQL call here or
// below: plain system calls, and C++ strings in frames that PostgreSQL never jumps over.)
std::string file_text(const std::string &path)
{
	FILE *file = fopen(path.c_str(), "r");
	if (file == nullptr)
		return "";
	char buffer[4096];
	size_t length = fread(buffer, 1, sizeof(buffer) - 1, file);
	fclose(file);
	return std::string(buffer, length);
}

bool exists(const std::string &path)
{
	return access(path.c_str(), R_OK) == 0;
}

// `path` and each group above it, up to the root ("/a/b" -> "/a/b", "/a", "").
template <typename Visit>
void for_each_ancestor(std::string path, Visit visit)
{
	while (!path.empty() && path.back() == '/')
		path.pop_back();
	for (;;) {
		visit(path);
		std::size_t slash = path.rfind('/');
		if (path.empty() || slash == std::string::npos)
			return;
		path.erase(slash);
	}
}

// A limit counts only with its group's usage beside it: the limit's CPUs against the whole
// machine's busy ones would make the backfill yield to the host.
void keep_tightest(double limit, const std::string &usage_file, int version)
{
	if ((source.limit > 0 && limit >= source.limit) || !exists(usage_file) || usage_file.size() >= sizeof(source.usage_file))
		return;
	source.limit = limit;
	source.usage_version = version;
	strncpy(source.usage_file, usage_file.c_str(), sizeof(source.usage_file) - 1);
}

bool is_directory(const std::string &path)
{
	struct stat info;
	return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// The cgroup v2 groups, under the v2 mount (or the hybrid layout's); the group's path as the
// process sees it, or, in a container whose mount is its own group, the mount itself.
void resolve_v2(const std::string &path)
{
	for (const char *root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
		if (!exists(std::string(root) + "/cgroup.controllers"))
			continue;
		// (A limit may sit on any group above, a systemd slice's say, with none on the group itself.)
		for (const std::string &group : {std::string(root) + path, std::string(root)}) {
			if (!is_directory(group))
				continue;
			for_each_ancestor(group, [&](const std::string &dir) {
				if (dir.size() < std::strlen(root))
					return;
				std::optional<double> limit = pgshift::cpu_limit_v2(file_text(dir + "/cpu.max"));
				if (limit)
					keep_tightest(*limit, dir + "/cpu.stat", 2);
			});
			return;
		}
	}
}

void resolve_v1(const std::string &cpu_path)
{
	for (const char *root : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
		for (const std::string &group : {std::string(root) + cpu_path, std::string(root)}) {
			if (!is_directory(group) || !exists(std::string(root) + "/cpu.cfs_quota_us"))
				continue;
			for_each_ancestor(group, [&](const std::string &dir) {
				if (dir.size() < std::strlen(root))
					return;
				std::optional<double> limit =
				    pgshift::cpu_limit_v1(file_text(dir + "/cpu.cfs_quota_us"), file_text(dir + "/cpu.cfs_period_us"));
				if (!limit)
					return;
				// The usage of the same group under the cpuacct controller (often the same mount; the
				// controllers' groups have the same paths where they are mounted apart).
				std::string relative = dir.substr(std::strlen(root));
				std::string usage = std::string("/sys/fs/cgroup/cpuacct") + relative + "/cpuacct.usage";
				if (!exists(usage))
					usage = std::string("/sys/fs/cgroup/cpu,cpuacct") + relative + "/cpuacct.usage";
				keep_tightest(*limit, usage, 1);
			});
			return;
		}
	}
}

double monotonic_seconds()
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double resolved_at = 0;
unsigned source_generation = 0;   // moves when the usage is read from somewhere else
// Looked at again once a minute: a container's limit can change while it runs (docker update, a
// resized pod), and the group's files can go.
const double resolve_every_s = 60;

void resolve_cpu_source() noexcept
{
	if (source.resolved && monotonic_seconds() - resolved_at < resolve_every_s)
		return;
	const CpuSource before = source;
	source = CpuSource{};
	source.resolved = true;
	resolved_at = monotonic_seconds();
	try {
		pgshift::CgroupPaths paths = pgshift::cgroup_paths(file_text("/proc/self/cgroup"));
		if (!paths.unified.empty())
			resolve_v2(paths.unified);
		if (source.limit == 0 && !paths.cpu.empty())
			resolve_v1(paths.cpu);
	} catch (...) {
		source = CpuSource{};
		source.resolved = true;   // (out of memory) the machine's CPUs, as without a group
	}
	// Two readings of different sources do not make a difference.
	if (before.limit != source.limit || strcmp(before.usage_file, source.usage_file) != 0)
		source_generation++;
}

// CPU seconds the limited group has used, from its usage file.
bool group_usage(double *seconds) noexcept
{
	try {
		if (source.usage_version == 0)
			return false;
		std::string text = file_text(source.usage_file);
		std::optional<double> used = source.usage_version == 2 ? pgshift::cpu_usage_v2(text) : pgshift::cpu_usage_v1(text);
		if (!used)
			return false;
		*seconds = *used;
		return true;
	} catch (...) {
		return false;
	}
}

}  // namespace

int machine_cpus(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int cpus = online > 0 ? static_cast<int>(online) : 1;
	resolve_cpu_source();
	return source.limit > 0 ? pgshift::limited_cpus(source.limit, cpus) : cpus;
}

namespace {

struct CpuReading {
	double at;        // seconds, monotonic
	double busy;      // seconds of CPU time the machine spent busy
	double own;       // seconds of CPU time this process used
	unsigned source;  // source_generation when read
};

bool read_cpu(CpuReading *reading)
{
	resolve_cpu_source();
	reading->source = source_generation;
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	reading->at = monotonic_seconds();
	reading->own = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
	               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
	// Within a CPU limit what counts is the group's own use of it (this process's included).
	if (source.limit > 0 && source.usage_version != 0)
		return group_usage(&reading->busy);
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
	reading->busy = static_cast<double>(user + nice + system + irq + softirq + steal) * tick;
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
	if (!have_reading || now.source != last_reading.source) {
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
