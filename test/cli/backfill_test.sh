# shellcheck shell=bash disable=SC2154  # work and PGSHIFT come from run.sh
# Backfills run by the server's background worker, and the CLI waiting for them: the batch flags,
# progress output, a failed job, Ctrl-C, and faults on a table of 1,000,000 rows: (a) the CLI killed
# with -9 mid-backfill, (b) a fast server restart mid-backfill, (c) a concurrent writer through both
# version schemas. Sourced by run.sh, whose helpers (fresh_db, sql, json_get, ...) it uses.

BIG_ROWS=1000000
# With fixed batches of 1000 (the default adapts and would be over too soon), slows the backfill of
# BIG_ROWS down to several seconds, so faults land inside it.
BIG_DELAY=2ms

# big_table_db NAME ROWS: a fresh database with pgshift, where migration 01_create_big (version schema
# public_01_create_big) created table big (id bigint primary key, v text), filled with v = id * 7.
big_table_db() {
  fresh_db "$1" || return 1
  run "$PGSHIFT" init
  cat >"$work/01_create_big.yaml" <<'YAML'
operations:
  - create_table:
      name: big
      columns:
        - {name: id, type: bigint, pk: true}
        - {name: v, type: text}
YAML
  run "$PGSHIFT" start --complete "$work/01_create_big.yaml"
  [[ $STATUS == 0 ]] || { fail "cannot create table big: $ERR"; return 1; }
  sql "INSERT INTO big SELECT g, (g * 7)::text FROM generate_series(1, $2) g; ANALYZE big" >/dev/null
}

# The migration every scenario starts: v text -> bigint, written both ways while both versions live.
cat >"$work/02_to_bigint.yaml" <<'YAML'
operations:
  - alter_column:
      table: big
      column: v
      type: bigint
      up: CAST(v AS bigint)
      down: CAST(v AS text)
YAML

# backfill_value COLUMN: that column of the backfill of migration 02_to_bigint (pgshift.backfill_progress).
backfill_value() { sql "SELECT $1 FROM pgshift.backfill_progress WHERE migration = '02_to_bigint'"; }

# wait_until DESC SECONDS QUERY: polls QUERY (from psql) until it returns t; fails after SECONDS.
wait_until() {
  local desc=$1 seconds=$2 query=$3 deadline
  deadline=$(( $(now_ms) + seconds * 1000 ))
  until [[ $(sql "$query") == t ]]; do
    if (( $(now_ms) > deadline )); then fail "$desc: not true after ${seconds} s: $query"; return 1; fi
    sleep 0.1
  done
  pass
}

# Before complete both columns exist: every backfilled row must hold its old value, converted.
assert_backfilled() {
  assert_eq "$1: every row backfilled from its old value" "$BIG_ROWS" \
    "$(sql "SELECT count(*) FROM big WHERE _pgshift_new_v = v::bigint")"
}

# After complete: v is the bigint column and holds id * 7 everywhere.
assert_converted() {
  assert_eq "$1: v is bigint" "bigint" \
    "$(sql "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'v'")"
  assert_eq "$1: every row right" "$BIG_ROWS $BIG_ROWS" \
    "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE v = id * 7) FROM big")"
}

# --- flags ---------------------------------------------------------------------------------------------

test_case "backfill flags"
for command in start migrate; do
  run "$PGSHIFT" $command --help
  assert_contains "$command --help lists --backfill-batch-size" "$OUT" "--backfill-batch-size"
  assert_contains "$command --help lists --backfill-batch-delay" "$OUT" "--backfill-batch-delay"
done
assert_exit "a delay without unit" 2 "$PGSHIFT" start --backfill-batch-delay 5 "$work/02_to_bigint.yaml"
assert_contains "says what is wrong" "$ERR" 'invalid duration "5": missing unit'
assert_exit "a negative delay" 2 "$PGSHIFT" start --backfill-batch-delay=-1s "$work/02_to_bigint.yaml"
assert_exit "an unknown unit" 2 "$PGSHIFT" migrate --backfill-batch-delay 1d "$work"
assert_exit "a batch size of 0" 2 "$PGSHIFT" start --backfill-batch-size 0 "$work/02_to_bigint.yaml"
assert_exit "--no-wait with --complete" 2 "$PGSHIFT" start --no-wait --complete "$work/02_to_bigint.yaml"

big_table_db backfill_flags 3000
assert_exit "start with both flags" 0 "$PGSHIFT" start "$work/02_to_bigint.yaml" \
  --backfill-batch-size 500 --backfill-batch-delay 1.5ms
assert_eq "passed to the server (delay rounded up to whole ms)" "500 2 7" \
  "$(sql "SELECT batch_size || ' ' || batch_delay_ms || ' ' || batches FROM pgshift.jobs WHERE migration = '02_to_bigint' AND kind = 'backfill'")"
assert_eq "start returned once the backfill was done" "done 3000" "$(backfill_value "state || ' ' || rows_done")"
assert_contains "a last line on stderr says so" "$ERR" \
  'migration "02_to_bigint": 3 jobs done in '
assert_contains "with the rows, and the new version opened" "$ERR" '(backfill of "big": 3,000 rows; new version opened)'
assert_exit "rollback" 0 "$PGSHIFT" rollback

# migrate takes them too, also from the environment; every migration's jobs are done before complete.
mkdir -p "$work/backfill_dir"
cp "$work/01_create_big.yaml" "$work/02_to_bigint.yaml" "$work/backfill_dir/"
PGSHIFT_BACKFILL_BATCH_SIZE=700 assert_exit "migrate --complete with a backfill" 0 \
  "$PGSHIFT" migrate --complete --backfill-batch-delay 100ms "$work/backfill_dir"
assert_eq "migrate's output" 'Migration "02_to_bigint" complete: schema version "public_02_to_bigint"' "$OUT"
assert_eq "batch size from the environment, delay from the flag" "700 100" \
  "$(sql "SELECT batch_size || ' ' || batch_delay_ms FROM pgshift.jobs WHERE migration = '02_to_bigint' AND kind = 'backfill'")"
BIG_ROWS=3000 assert_converted "migrate"

# --- a failed job ----------------------------------------------------------------------------------------

test_case "failed backfill"
big_table_db backfill_failure 1000
sql "UPDATE big SET v = 'seven hundred' WHERE id = 700" >/dev/null
assert_exit "start fails when its backfill fails" 1 "$PGSHIFT" start --backfill-batch-size 100 "$work/02_to_bigint.yaml"
assert_contains "names the job and the error" "$ERR" \
  'Error: job 1 of migration "02_to_bigint" (backfill of "big") failed: invalid input syntax for type bigint: "seven hundred"'
assert_contains "the migration is still active" "$ERR" "HINT: Migration \"02_to_bigint\" is still active: 'pgshift rollback' undoes it"
assert_contains "how to retry" "$ERR" "SELECT pgshift.backfill_resume('public') retries its jobs"
assert_eq "still in progress" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
assert_eq "the checkpoint: the batches before the bad row" "failed 600" "$(backfill_value "state || ' ' || rows_done")"
assert_exit "complete refuses the same way" 1 "$PGSHIFT" complete
assert_contains "complete names the failure" "$ERR" "failed: invalid input syntax for type bigint"
sql "UPDATE big SET v = '4900' WHERE id = 700" >/dev/null
sql "SELECT pgshift.backfill_resume('public')" >/dev/null
assert_exit "complete after fixing the row and resuming" 0 "$PGSHIFT" complete
BIG_ROWS=1000 assert_converted "after the retry"

# --- Ctrl-C, and rollback in the middle of a backfill ------------------------------------------------------

test_case "interrupted wait"
big_table_db backfill_interrupt 100000
"$PGSHIFT" start --backfill-batch-delay 30ms "$work/02_to_bigint.yaml" >"$work/interrupt.out" 2>"$work/interrupt.err" &
cli=$!
wait_until "the backfill runs" 20 "SELECT coalesce((SELECT rows_done > 0 FROM pgshift.backfill_progress), false)"
kill -INT "$cli"
wait "$cli"
assert_eq "Ctrl-C: exit 1" "1" "$?"
assert_contains "says it stopped waiting, not the jobs" "$(cat "$work/interrupt.err")" \
  'Error: interrupted while waiting for the jobs of migration "02_to_bigint"; they go on in the server'
rows_at_interrupt=$(backfill_value rows_done)
wait_until "the worker goes on without the client" 20 \
  "SELECT rows_done > $rows_at_interrupt FROM pgshift.backfill_progress"
assert_eq "the migration is untouched" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
assert_exit "rollback while the worker backfills" 0 "$PGSHIFT" rollback
wait_until "the worker stops" 10 "SELECT NOT pgshift.worker_running('public')"
assert_eq "the new column is gone" "0" "$(sql "SELECT count(*) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname LIKE '_pgshift%' AND NOT attisdropped")"
assert_eq "no jobs left" "0" "$(sql "SELECT count(*) FROM pgshift.jobs")"

# --- (a) the CLI killed with -9 ------------------------------------------------------------------------------

test_case "backfill: CLI killed"
big_table_db backfill_kill "$BIG_ROWS"
"$PGSHIFT" start --backfill-batch-size 1000 --backfill-batch-delay "$BIG_DELAY" "$work/02_to_bigint.yaml" >/dev/null 2>&1 &
cli=$!
wait_until "the backfill runs" 20 "SELECT coalesce((SELECT rows_done >= 100000 FROM pgshift.backfill_progress), false)"
# (The braces keep bash's "Killed" job report out of the output.)
{ kill -9 "$cli"; wait "$cli"; } 2>/dev/null
rows_at_kill=$(backfill_value rows_done)
if (( rows_at_kill < BIG_ROWS )); then pass; else fail "the backfill was over before the kill ($rows_at_kill rows)"; fi
wait_until "no client left" 10 "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pgshift'"
wait_until "the worker finishes without any client" 60 \
  "SELECT state = 'done' AND rows_done = $BIG_ROWS FROM pgshift.backfill_progress"
assert_backfilled "after the kill"
assert_exit "complete" 0 "$PGSHIFT" complete
assert_converted "after the kill"

# --- (b) a fast server restart ------------------------------------------------------------------------------

test_case "backfill: server restart"
if [[ -z ${PGSHIFT_PG_CTL:-} ]]; then
  echo "SKIP: server restart (no PGSHIFT_PG_CTL: run under scripts/with-cluster.sh)"
else
  big_table_db backfill_restart "$BIG_ROWS"
  assert_exit "start --no-wait" 0 "$PGSHIFT" start --no-wait --backfill-batch-size 1000 --backfill-batch-delay "$BIG_DELAY" "$work/02_to_bigint.yaml"
  assert_eq "--no-wait says nothing about jobs" "" "$ERR"
  wait_until "the backfill runs" 20 "SELECT coalesce((SELECT rows_done >= 100000 FROM pgshift.backfill_progress), false)"
  $PGSHIFT_PG_CTL restart -m fast >/dev/null 2>&1 || fail "pg_ctl restart failed"
  rows_after_restart=$(backfill_value rows_done)
  if (( rows_after_restart > 0 && rows_after_restart < BIG_ROWS )); then pass; else
    fail "rows_done after the restart: $rows_after_restart, expected the checkpoint between 0 and $BIG_ROWS"
  fi
  assert_eq "the checkpoint matches the rows backfilled" "$rows_after_restart" \
    "$(sql "SELECT count(*) FROM big WHERE _pgshift_new_v IS NOT NULL")"
  assert_eq "no worker after the restart" "f" "$(sql "SELECT pgshift.worker_running('public')")"
  sleep 0.5
  assert_eq "nothing moves until somebody resumes" "$rows_after_restart" "$(backfill_value rows_done)"
  # On a terminal (script(1) gives it one) complete shows a progress bar while it waits.
  if command -v script >/dev/null; then
    run script -q -e -c "\"$PGSHIFT\" complete" /dev/null
    assert_contains "a progress bar redrawn in place" "$OUT" $'\r''[1/3] backfill of "big" ['
  else
    echo "SKIP: progress bar on a terminal (no script(1))"
    run "$PGSHIFT" complete
    OUT+=$ERR
  fi
  assert_status "complete resumes the worker, waits, completes" 0
  assert_contains "then the last line" "$OUT" 'migration "02_to_bigint": 3 jobs done in '
  assert_contains "and complete's own" "$OUT" 'Migration successful! ("02_to_bigint" completed)'
  assert_converted "after the restart"
fi

# --- (c) a concurrent writer through both versions -----------------------------------------------------------

test_case "backfill: concurrent writer"
big_table_db backfill_writer "$BIG_ROWS"
# 5 ms between 1000 batches: over 5 s, so the CLI prints a progress line before the last one.
"$PGSHIFT" start --backfill-batch-size 1000 --backfill-batch-delay 5ms "$work/02_to_bigint.yaml" >"$work/writer_cli.out" 2>"$work/writer_cli.err" &
cli=$!
wait_until "the backfill runs" 20 "SELECT coalesce((SELECT rows_done > 0 FROM pgshift.backfill_progress), false)"
# The writer updates random rows (before and after the backfill's cursor) and inserts new ones, through
# the old version (v text) and through the table itself with the new version first in search_path,
# until the backfill is over. (The new version opens only when its backfill is done: until then the
# second kind of write finds no such schema, writes the table, and counts as the old version's.) It logs
# "id,value" of every write, in order: the last line of an id is what that row must hold.
writer_log=$work/writer.csv
writer_failures=$work/writer.failures
: >"$writer_log"
: >"$writer_failures"
(
  n=0
  while true; do
    batch=$work/writer_batch.sql
    : >"$batch"
    for _ in 1 2 3 4 5; do
      n=$((n + 1))
      id=$(( (RANDOM * 32768 + RANDOM) % BIG_ROWS + 1 ))
      echo "SET search_path TO public_01_create_big; UPDATE big SET v = '$((1000000000 + n))' WHERE id = $id;" >>"$batch"
      echo "$id,$((1000000000 + n))" >>"$writer_log"
      n=$((n + 1))
      id=$(( (RANDOM * 32768 + RANDOM) % BIG_ROWS + 1 ))
      echo "SET search_path TO public_02_to_bigint, public; UPDATE big SET v = '$((2000000000 + n))' WHERE id = $id;" >>"$batch"
      echo "$id,$((2000000000 + n))" >>"$writer_log"
    done
    n=$((n + 1))
    echo "SET search_path TO public_01_create_big; INSERT INTO big VALUES ($((BIG_ROWS + n)), '$((BIG_ROWS + n))');" >>"$batch"
    echo "$((BIG_ROWS + n)),$((BIG_ROWS + n))" >>"$writer_log"
    n=$((n + 1))
    echo "SET search_path TO public_02_to_bigint, public; INSERT INTO big (id, v) VALUES ($((BIG_ROWS + n)), '$((BIG_ROWS + n))');" >>"$batch"
    echo "$((BIG_ROWS + n)),$((BIG_ROWS + n))" >>"$writer_log"
    psql -X -q -v ON_ERROR_STOP=1 -f "$batch" >/dev/null 2>>"$writer_failures" || echo "batch $n failed" >>"$writer_failures"
    [[ $(sql "SELECT coalesce((SELECT state FROM pgshift.backfill_progress), 'gone')") == running ]] || break
  done
) &
writer=$!
wait "$cli"
assert_eq "start waited for the backfill and exited 0" "0" "$?"
wait "$writer"
assert_eq "every write of the writer succeeded" "" "$(cat "$writer_failures")"
writes=$(wc -l <"$writer_log")
if (( writes >= 100 )); then pass; else fail "the writer wrote only $writes times during the backfill"; fi
assert_contains "a progress line in the log (stderr is no terminal)" "$(cat "$work/writer_cli.err")" \
  'migration "02_to_bigint": job 1 of 3, backfill of "big": '
assert_contains "and the last line" "$(cat "$work/writer_cli.err")" 'migration "02_to_bigint": 3 jobs done in '
inserted=$(grep -c -v -E '^[0-9]+,[12][0-9]{9}$' "$writer_log")
assert_eq "both columns agree on every row (the writes went both ways)" "0" \
  "$(sql "SELECT count(*) FROM big WHERE _pgshift_new_v IS DISTINCT FROM v::bigint")"
assert_exit "complete" 0 "$PGSHIFT" complete
sql "CREATE TABLE writer_log (line serial, id bigint, value bigint)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy writer_log (id, value) FROM '$writer_log' WITH (FORMAT csv)" >/dev/null \
  || fail "cannot load the writer's log"
sql "CREATE TABLE expected AS SELECT DISTINCT ON (id) id, value FROM writer_log ORDER BY id, line DESC" >/dev/null
assert_eq "every row the writer touched holds its last write" "0" \
  "$(sql "SELECT count(*) FROM expected e LEFT JOIN big b USING (id) WHERE b.v IS DISTINCT FROM e.value")"
assert_eq "every other row holds its old value" "0" \
  "$(sql "SELECT count(*) FROM big b WHERE NOT EXISTS (SELECT FROM expected e WHERE e.id = b.id) AND v IS DISTINCT FROM id * 7")"
assert_eq "no row lost or added" "$((BIG_ROWS + inserted))" "$(sql "SELECT count(*) FROM big")"
