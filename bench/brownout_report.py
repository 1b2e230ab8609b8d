#!/usr/bin/env python3
"""Reads what bench/brownout.sh recorded (pgbench per-transaction logs, phase times) and prints,
per throttle mode and window, the app's throughput against its baseline, p50/p99/max latency and
failed transactions; writes the per-second series (CSV) and, for gnuplot, the phases' positions.

usage: brownout_report.py WORK_DIR CSV_OUT
"""
import glob
import os
import re
import sys

work, csv_out = sys.argv[1], sys.argv[2]
WARMUP = 2.0  # seconds of the baseline left out (connections, caches)


def read_phases():
    phases = {}
    for line in open(os.path.join(work, "phases")):
        mode, event, at = line.split()
        phases.setdefault(mode, {})[event] = float(at)
    return phases


def read_transactions(mode):
    """(start, end, latency ms or None when failed) of every transaction of the mode's clients."""
    rows = []
    for path in glob.glob(os.path.join(work, f"old_{mode}.*")) + glob.glob(os.path.join(work, f"new_{mode}.*")):
        if path.endswith((".out", ".pid")):
            continue
        for line in open(path):
            f = line.split()  # client_id transaction_no latency_us|failed script_no end_epoch_s end_us ...
            if len(f) < 6:
                continue
            end = int(f[4]) + int(f[5]) / 1e6
            if f[2].isdigit():
                latency = int(f[2]) / 1000.0
                rows.append((end - latency / 1000.0, end, latency))
            else:
                rows.append((end, end, None))
    rows.sort(key=lambda r: r[1])
    return rows


def aborted_clients(mode):
    count = 0
    for path in glob.glob(os.path.join(work, f"*_{mode}.out")):
        count += len(re.findall(r"client \d+ aborted", open(path).read()))
    return count


def percentile(values, p):
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def window(rows, t0, t1):
    """Throughput by transactions ending inside; latency of those overlapping it (a lock wait
    that began before the window and ended in it is the window's)."""
    ended = [r for r in rows if t0 <= r[1] <= t1]
    overlapping = sorted(r[2] for r in rows if r[2] is not None and r[0] <= t1 and r[1] >= t0)
    failed = sum(1 for r in ended if r[2] is None)
    seconds = max(t1 - t0, 1e-3)
    return {
        "seconds": t1 - t0,
        "tps": len(ended) / seconds,
        "p50": percentile(overlapping, 0.50),
        "p99": percentile(overlapping, 0.99),
        "max": overlapping[-1] if overlapping else float("nan"),
        "failed": failed,
    }


phases = read_phases()
backfill = {}
for line in open(os.path.join(work, "backfill")):
    f = line.split()
    backfill.setdefault(f[0], {})[f[1]] = f[2:]

csv = open(csv_out, "w")
csv.write("mode,second,tps,p50_ms,p99_ms,max_ms\n")
print(f"{'throttle':<9}{'window':<16}{'seconds':>8}{'tx/s':>9}{'vs base':>9}{'p50 ms':>9}{'p99 ms':>9}"
      f"{'max ms':>9}{'failed':>8}")
for mode in phases:
    p = phases[mode]
    rows = read_transactions(mode)
    windows = [
        ("baseline", p["baseline_start"] + WARMUP, p["start_begin"]),
        ("start locks", p["start_begin"], p["start_end"]),
        ("backfill", p["start_begin"], p["backfill_end"]),
        ("new version", p["new_start"], p["complete_begin"]),
        ("complete locks", p["complete_begin"], p["complete_end"]),
    ]
    base = None
    for name, t0, t1 in windows:
        w = window(rows, t0, t1)
        base = base or w
        print(f"{mode:<9}{name:<16}{w['seconds']:>8.1f}{w['tps']:>9.0f}{w['tps'] / base['tps']:>8.2f}x"
              f"{w['p50']:>9.2f}{w['p99']:>9.2f}{w['max']:>9.1f}{w['failed']:>8}")
    # The slowest transactions around the lock windows, when they began relative to the window.
    for name, t0, t1 in windows:
        if name.endswith("locks"):
            slow = sorted((r for r in rows if r[2] is not None and r[0] <= t1 and r[1] >= t0), key=lambda r: -r[2])[:3]
            print(f"{mode:<9}{name}: {t1 - t0:.3f} s; slowest: " +
                  ", ".join(f"{r[2]:.1f} ms from {r[0] - t0:+.3f} s" for r in slow))
    ratio_p99 = window(rows, p["start_begin"], p["backfill_end"])["p99"] / base["p99"]
    rows_done, rate, longest = backfill[mode]["backfill"]
    print(f"{mode:<9}backfill: {int(rows_done):,} rows at {int(rate):,} rows/s, longest batch {longest} ms; "
          f"p99 {ratio_p99:.1f}x the baseline's; clients aborted: {aborted_clients(mode)}; "
          f"rows with a wrong value: {backfill[mode]['wrong'][0]}")
    # The per-second series, from the baseline's start.
    origin = p["baseline_start"]
    last = int(p["end"] - origin)
    for second in range(0, last):
        w = window(rows, origin + second, origin + second + 1)
        if w["tps"] > 0:
            csv.write(f"{mode},{second},{w['tps']:.0f},{w['p50']:.3f},{w['p99']:.3f},{w['max']:.3f}\n")
    # The phases, as gnuplot commands the plot loads for this mode's panels.
    with open(os.path.join(work, f"phases_{mode}.gp"), "w") as gp:
        gp.write("unset arrow; unset label\n")
        for height, (event, label) in zip((0.95, 0.88, 0.81, 0.74), (("start_begin", "start"), ("backfill_end", "version open"),
                                                                       ("new_start", "new clients"), ("complete_begin", "complete"))):
            x = p[event] - origin
            gp.write(f"set arrow from {x:.2f}, graph 0 to {x:.2f}, graph 1 nohead dt 2 lc rgb 'gray40'\n")
            gp.write(f"set label '{label}' at {x + 0.5:.2f}, graph {height} font ',8' tc rgb 'gray30'\n")
csv.close()
