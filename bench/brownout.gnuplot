# The app's throughput and p99 latency, second by second, while a migration runs (bench/brownout.sh),
# with the load-aware throttle (left) and without (right). Variables: csv, phases, out, modes.
set terminal pngcairo size 1400,800 font ',10'
set output out
set datafile separator ','
set key off
set grid ytics
set multiplot layout 2,words(modes) title 'pgshift brownout: 4 pgbench clients, 1M rows, alter_column rating text -> integer' noenhanced
do for [mode in modes] {
  load phases.'_'.mode.'.gp'
  set title 'throttle '.mode.': transactions per second'
  set xlabel ''
  set ylabel 'tx/s'
  set yrange [0:*]
  plot csv using (strcol(1) eq mode ? $2 : NaN):3 with lines lw 2 lc rgb '#1f77b4'
}
do for [mode in modes] {
  load phases.'_'.mode.'.gp'
  set title 'throttle '.mode.': p99 latency'
  set xlabel 'seconds'
  set ylabel 'ms'
  set yrange [0:*]
  plot csv using (strcol(1) eq mode ? $2 : NaN):5 with lines lw 2 lc rgb '#d62728'
}
unset multiplot
