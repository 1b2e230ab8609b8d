// How many CPUs a container gives the server, and how much of them it uses, from the files of its
// control group (cgroup v2, or v1's cpu and cpuacct controllers): the backfill's throttle counts
// these instead of the machine's when the group has a CPU limit, so that a server limited to 2 CPUs
// on a 64-CPU host yields when its own 2 are busy, not when the host's 64 are.
#pragma once
#include <optional>
#include <string>

namespace pgshift {

// The limit in CPUs: v2's cpu.max ("max 100000" has none, "150000 100000" is 1.5); v1's
// cpu.cfs_quota_us (-1: none) over cpu.cfs_period_us.
std::optional<double> cpu_limit_v2(const std::string &cpu_max);
std::optional<double> cpu_limit_v1(const std::string &quota_us, const std::string &period_us);

// CPU seconds the group's processes have used: v2's cpu.stat `usage_usec`, v1's cpuacct.usage (ns).
std::optional<double> cpu_usage_v2(const std::string &cpu_stat);
std::optional<double> cpu_usage_v1(const std::string &cpuacct_usage);

// The process's groups, from /proc/self/cgroup: v2's ("0::/path") and v1's cpu and cpuacct
// controllers' ("4:cpu,cpuacct:/path"); empty when not there.
struct CgroupPaths {
	std::string unified, cpu, cpuacct;
};
CgroupPaths cgroup_paths(const std::string &proc_self_cgroup);

// The whole number of CPUs the throttle counts: the limit rounded, at least 1, at most `online`.
int limited_cpus(double limit, int online);

}  // namespace pgshift
