# shellcheck shell=bash
# Helpers of the benchmark scripts; the script sets DB (its scratch database) before sourcing this.
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" "$@"; }
median() { python3 -c "import sys, statistics; print(f'{statistics.median(map(float, sys.argv[1:])):.0f}')" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$@"; }
# The pgroll-style dual-write triggers (as in ../shared/bench/pgroll-style-anchors.sh), for `users` on search_path.
PGROLL_STYLE_SQL=$(dirname "${BASH_SOURCE[0]}")/pgroll_style_triggers.sql
# window_latencies T0_US T1_US FILE...: of the transactions in pgbench per-transaction logs (-l) that
# overlap [T0, T1] (microseconds since the epoch), prints "<max ms> <p99 ms> <count>".
window_latencies() {
  local t0=$1 t1=$2; shift 2
  cat "$@" | python3 -c "
import sys
t0, t1 = $t0, $t1
lat = []
for line in sys.stdin:
    f = line.split()  # client_id transaction_no latency_us script_no end_epoch_s end_us
    if len(f) < 6 or not f[2].isdigit(): continue   # a failed or skipped transaction has no latency
    end = int(f[4]) * 1000000 + int(f[5]); start = end - int(f[2])
    if end >= t0 and start <= t1: lat.append(int(f[2]) / 1000.0)
lat.sort()
p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0
print(f'{max(lat) if lat else 0:.0f} {p99:.1f} {len(lat)}')
"
}
