#!/usr/bin/env bash
# The throttle counts the server's own CPUs when its control group limits them (a container's
# quota), not the machine's. The test puts a throwaway cluster in a cgroup limited to 1 CPU
# (cgroup v1's cpu and cpuacct controllers, or v2's cpu.max), then (test/throttle/cgroup_checks.sh):
#   * CPU-bound processes outside the group do not make the backfill yield, and its reason counts
#     1 CPU;
#   * clients of the server itself (their backends are in the group) do.
# Needs root and a writable cgroup hierarchy; where there is none it says so and checks nothing.
#
#   bash test/throttle/cgroup.sh       (after `make install` and the CLI's install)
#
# Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
name=pgshift-test-$$
groups=()
outside=()
cleanup() {
  for pid in "${outside[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  for g in "${groups[@]}"; do rmdir "$g" 2>/dev/null; done
}
trap cleanup EXIT

if [ -w /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && [ -w /sys/fs/cgroup/cpuacct ]; then
  cpu=/sys/fs/cgroup/cpu/$name acct=/sys/fs/cgroup/cpuacct/$name
  mkdir "$cpu" "$acct" && groups=("$cpu" "$acct")
  echo 100000 >"$cpu/cpu.cfs_period_us" && echo 100000 >"$cpu/cpu.cfs_quota_us"
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers &&
     grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
  cpu=/sys/fs/cgroup/$name
  mkdir "$cpu" && groups=("$cpu")
  echo "100000 100000" >"$cpu/cpu.max"
else
  echo "no writable cgroup with a cpu controller here: nothing checked"
  echo "0 passed, 0 failed"
  exit 0
fi

# Two CPU-bound processes outside the group, for the whole test.
for _ in 1 2; do sh -c 'while :; do :; done' & outside+=($!); done
# The cluster, its worker and the test's clients start inside the group.
sh -c 'for g in "$@"; do echo $$ >"$g/cgroup.procs"; done; exec "'"$root"'/scripts/with-cluster.sh" bash "'"$here"'/cgroup_checks.sh"' \
  sh "${groups[@]}"
