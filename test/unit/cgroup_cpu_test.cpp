#include "core/cgroup_cpu.hpp"

#include <gtest/gtest.h>

using namespace pgshift;

TEST(CgroupCpu, LimitsOfBothVersions) {
	EXPECT_FALSE(cpu_limit_v2("max 100000\n"));
	EXPECT_DOUBLE_EQ(*cpu_limit_v2("150000 100000\n"), 1.5);
	EXPECT_DOUBLE_EQ(*cpu_limit_v2("200000 100000"), 2.0);
	EXPECT_FALSE(cpu_limit_v2(""));
	EXPECT_FALSE(cpu_limit_v2("garbage"));
	EXPECT_FALSE(cpu_limit_v2("0 100000"));
	EXPECT_FALSE(cpu_limit_v1("-1\n", "100000\n"));
	EXPECT_DOUBLE_EQ(*cpu_limit_v1("50000\n", "100000\n"), 0.5);
	EXPECT_FALSE(cpu_limit_v1("50000", "0"));
	EXPECT_FALSE(cpu_limit_v1("50000x", "100000"));
}

TEST(CgroupCpu, UsageOfBothVersions) {
	EXPECT_DOUBLE_EQ(*cpu_usage_v2("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"), 2.5);
	EXPECT_DOUBLE_EQ(*cpu_usage_v2("nr_periods 3\nusage_usec 1000000\n"), 1.0);
	EXPECT_FALSE(cpu_usage_v2("user_usec 5\n"));
	EXPECT_DOUBLE_EQ(*cpu_usage_v1("34878520243196\n"), 34878.520243196);
	EXPECT_FALSE(cpu_usage_v1(""));
}

TEST(CgroupCpu, PathsFromProcSelfCgroup) {
	CgroupPaths v2 = cgroup_paths("0::/system.slice/postgresql.service\n");
	EXPECT_EQ(v2.unified, "/system.slice/postgresql.service");
	EXPECT_EQ(v2.cpu, "");
	CgroupPaths v1 = cgroup_paths("9:name=systemd:/\n4:memory:/m\n3:cpu,cpuacct:/docker/abc\n1:cpuset:/\n0::/\n");
	EXPECT_EQ(v1.cpu, "/docker/abc");
	EXPECT_EQ(v1.cpuacct, "/docker/abc");
	EXPECT_EQ(v1.unified, "/");
	CgroupPaths split = cgroup_paths("2:cpuacct:/a\n1:cpu:/b\n");
	EXPECT_EQ(split.cpu, "/b");
	EXPECT_EQ(split.cpuacct, "/a");
	EXPECT_EQ(cgroup_paths("").unified, "");
}

TEST(CgroupCpu, WholeCpusWithinTheMachine) {
	EXPECT_EQ(limited_cpus(1.5, 64), 2);
	EXPECT_EQ(limited_cpus(0.3, 64), 1);
	EXPECT_EQ(limited_cpus(2.0, 64), 2);
	EXPECT_EQ(limited_cpus(128.0, 64), 64);
}
