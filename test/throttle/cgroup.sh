#!/usr/bin/env bash
# The throttle counts the server's own CPUs when its control group limits them (a container's
# quota), not the machine's. The test puts a throwaway cluster in a cgroup limited to 1 CPU
# (cgroup v1's cpu and cpuacct controllers, or v2's cpu.max), then (test/throttle/cgroup_checks.sh):
#   * CPU-bound processes outside the group do not make the backfill yield, and its reason counts
#     1 CPU;
#   * clients of the server itself (their backends are in the group) do.
# Needs root and a writable cgroup hierarchy; where there is none it fails, saying so, unless
# PGSHIFT_ALLOW_CGROUP_SKIP=1 (then it checks nothing).
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
  for g in "${groups[@]}"; do   # what is left in a group (a server that did not stop) goes first
    [ -f "$g/cgroup.procs" ] && xargs -r kill -9 <"$g/cgroup.procs" 2>/dev/null
  done
  wait 2>/dev/null
  sleep 0.5
  for g in "${groups[@]}"; do rmdir "$g" 2>/dev/null || echo "could not remove the test's cgroup $g" >&2; done
}
trap cleanup EXIT
give_up() {   # a host where the groups cannot be made: fails, unless told that is expected
  echo "no cgroup with a CPU limit can be made here: $1"
  if [ "${PGSHIFT_ALLOW_CGROUP_SKIP:-0}" = 1 ]; then echo "0 passed, 0 failed"; exit 0; fi
  echo "0 passed, 1 failed (set PGSHIFT_ALLOW_CGROUP_SKIP=1 where cgroups are not available)"
  exit 1
}
make_group() {   # make_group DIR: made and remembered, or give up
  mkdir "$1" 2>/dev/null || give_up "mkdir $1 failed"
  groups+=("$1")
}

if [ -w /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && [ -w /sys/fs/cgroup/cpuacct ]; then
  # cgroup v1: cpu and cpuacct are often one hierarchy with two names (symlinks to cpu,cpuacct).
  cpu_root=$(realpath /sys/fs/cgroup/cpu) acct_root=$(realpath /sys/fs/cgroup/cpuacct)
  make_group "$cpu_root/$name"
  [ "$acct_root" = "$cpu_root" ] || make_group "$acct_root/$name"
  { echo 100000 >"$cpu_root/$name/cpu.cfs_period_us" && echo 100000 >"$cpu_root/$name/cpu.cfs_quota_us"; } ||
    give_up "cannot set the group's quota"
elif [ -w /sys/fs/cgroup ] && [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
  make_group "/sys/fs/cgroup/$name"
  echo "100000 100000" >"/sys/fs/cgroup/$name/cpu.max" || give_up "cannot set the group's cpu.max"
else
  give_up "neither cgroup v1's cpu and cpuacct nor v2's cpu controller is writable"
fi

# Two CPU-bound processes outside the group, for the whole test (and never longer than 15 minutes,
# should this script be killed before its cleanup).
for _ in 1 2; do timeout 900 sh -c 'while :; do :; done' & outside+=($!); done
# The cluster, its worker and the test's clients start inside the group.
sh -c 'for g in "$@"; do echo $$ >"$g/cgroup.procs"; done; exec "'"$root"'/scripts/with-cluster.sh" bash "'"$here"'/cgroup_checks.sh"' \
  sh "${groups[@]}"
