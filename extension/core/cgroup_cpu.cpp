#include "core/cgroup_cpu.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace pgshift {

namespace {

std::optional<double> number(const std::string &text)
{
	const char *begin = text.c_str();
	char *end = nullptr;
	double value = std::strtod(begin, &end);
	if (end == begin)
		return std::nullopt;
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	if (*end != '\0' || !std::isfinite(value))
		return std::nullopt;
	return value;
}

}  // namespace

std::optional<double> cpu_limit_v2(const std::string &cpu_max)
{
	std::istringstream fields(cpu_max);
	std::string quota, period;
	if (!(fields >> quota >> period) || quota == "max")
		return std::nullopt;
	std::optional<double> q = number(quota), p = number(period);
	if (!q || !p || *q <= 0 || *p <= 0)
		return std::nullopt;
	return *q / *p;
}

std::optional<double> cpu_limit_v1(const std::string &quota_us, const std::string &period_us)
{
	std::optional<double> q = number(quota_us), p = number(period_us);
	if (!q || !p || *q <= 0 || *p <= 0)   // (-1: no limit)
		return std::nullopt;
	return *q / *p;
}

std::optional<double> cpu_usage_v2(const std::string &cpu_stat)
{
	std::istringstream lines(cpu_stat);
	std::string key, value;
	while (lines >> key >> value)
		if (key == "usage_usec") {
			std::optional<double> usec = number(value);
			if (usec && *usec >= 0)
				return *usec / 1e6;
			return std::nullopt;
		}
	return std::nullopt;
}

std::optional<double> cpu_usage_v1(const std::string &cpuacct_usage)
{
	std::optional<double> ns = number(cpuacct_usage);
	if (!ns || *ns < 0)
		return std::nullopt;
	return *ns / 1e9;
}

CgroupPaths cgroup_paths(const std::string &proc_self_cgroup)
{
	CgroupPaths paths;
	std::istringstream lines(proc_self_cgroup);
	std::string line;
	while (std::getline(lines, line)) {
		std::size_t first = line.find(':');
		std::size_t second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
		if (second == std::string::npos)
			continue;
		const std::string id = line.substr(0, first);
		const std::string controllers = line.substr(first + 1, second - first - 1);
		const std::string path = line.substr(second + 1);
		if (path.empty() || path[0] != '/')
			continue;
		if (id == "0" && controllers.empty()) {
			paths.unified = path;
			continue;
		}
		std::istringstream names(controllers);
		std::string name;
		while (std::getline(names, name, ','))
			if (name == "cpu")
				paths.cpu = path;
			else if (name == "cpuacct")
				paths.cpuacct = path;
	}
	return paths;
}

int limited_cpus(double limit, int online)
{
	int cpus = static_cast<int>(std::lround(limit));
	if (cpus < 1)
		cpus = 1;
	return online > 0 && cpus > online ? online : cpus;
}

}  // namespace pgshift
