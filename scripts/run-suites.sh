#!/usr/bin/env bash
# Runs every test suite against the server in PG* (scripts/with-cluster.sh provides one) and sums
# their results. Each suite's own output is shown; a suite that cannot report counts is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0 broken=()

# add_counts SUITE PASSED FAILED
add_counts() {
  passed=$((passed + $2)); failed=$((failed + $3))
  echo "== $1: $2 passed, $3 failed"
}

run_suite() {   # run_suite NAME COMMAND...; parses the suite's closing `N passed, N failed`
  local name=$1; shift
  echo "== $name"
  local out; out=$(mktemp)
  "$@" 2>&1 | tee "$out"
  local status=${PIPESTATUS[0]}
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  rm -f "$out"
  if [ -z "$line" ]; then broken+=("$name (no result line, exit $status)"); return; fi
  local p f; p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  add_counts "$name" "$p" "$f"
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then broken+=("$name (exit $status)"); fi
}

unit_tests() {
  local out; out=$(ctest --test-dir build --output-on-failure 2>&1); local status=$?
  echo "$out" | tail -n 15
  local line; line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests failed out of' | tail -n 1)
  if [ -z "$line" ]; then echo "0 passed, 1 failed"; return 1; fi
  local total f; total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
  echo "$((total - f)) passed, $f failed"
  return $status
}

# make installcheck runs pg_regress (sql/) and then the isolation tester (specs/): each prints its own
# summary, which are summed.
regression_tests() {
  local out; out=$(make -s installcheck 2>&1); local status=$?
  echo "$out"
  [ -f regression.diffs ] && head -n 80 regression.diffs
  local total=0 f=0 summaries=0 line
  while IFS= read -r line; do
    if [[ $line =~ All\ ([0-9]+)\ tests\ passed ]]; then
      total=$((total + BASH_REMATCH[1])); summaries=$((summaries + 1))
    elif [[ $line =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
      f=$((f + BASH_REMATCH[1])); total=$((total + BASH_REMATCH[2])); summaries=$((summaries + 1))
    fi
  done <<<"$out"
  if (( summaries == 0 )) || { (( status != 0 )) && (( f == 0 )); }; then
    echo "0 passed, 1 failed"; return 1
  fi
  echo "$((total - f)) passed, $f failed"
  return $status
}

# shared/ sits beside the clone in CI; PGSHIFT_SHARED overrides.
shared=${PGSHIFT_SHARED:-$(cd .. && pwd)/shared}
[ -d "$shared" ] || shared=/work/shared

conformance() {   # conformance SCHEMA: pgroll's example migrations through our CLI
  if [ ! -x "$shared/conformance/run-pgroll-examples" ]; then
    echo "no conformance runner under $shared (set PGSHIFT_SHARED)"; echo "0 passed, 1 failed"; return 1
  fi
  if [ -n "${PGSHIFT_CONFORMANCE_UPTO:-}" ]; then
    UPTO=$PGSHIFT_CONFORMANCE_UPTO "$shared/conformance/run-pgroll-examples" "$(command -v pgshift)" "$1"
  else
    "$shared/conformance/run-pgroll-examples" "$(command -v pgshift)" "$1"
  fi
}

# `migrate` of pgroll's examples directory, twice: the second run applies nothing and exits 0.
migrate_examples_twice() {
  local db=pgshift_migrate_twice passed=0 failed=0 out
  local url="postgresql:///$db?host=${PGHOST}&port=${PGPORT}&user=${PGUSER:-postgres}"
  check() { if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi; }
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
  pgshift --postgres-url "$url" init >/dev/null
  out=$(pgshift --postgres-url "$url" migrate "$shared/conformance/pgroll/examples" --complete 2>&1)
  check "first migrate applies all 56 examples: $(echo "$out" | tail -n 2)" \
    '[ "$(psql -X -At -d $db -c "SELECT count(*) FROM pgshift.migrations WHERE done")" = 56 ]'
  out=$(pgshift --postgres-url "$url" migrate "$shared/conformance/pgroll/examples" --complete 2>&1); local status=$?
  check "second migrate exits 0 (exit $status)" '[ $status -eq 0 ]'
  check "second migrate applies nothing: $out" '[[ "$out" == *"up to date"* ]]'
  check "still 56 migrations" '[ "$(psql -X -At -d $db -c "SELECT count(*) FROM pgshift.migrations")" = 56 ]'
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

run_suite "unit tests (ctest)" unit_tests
run_suite "pg_regress and isolation tests (make installcheck)" regression_tests
run_suite "CLI tests" bash test/cli/run.sh
run_suite "operation combinations (start, both versions, rollback, complete)" bash test/combinations/run.sh
run_suite "bad input through the CLI" bash test/bad_input/run.sh
run_suite "through PgBouncer (transaction pooling)" bash test/pgbouncer/run.sh
run_suite "randomized stress through both versions" bash test/stress/run.sh
run_suite "randomized stress, partitioned table" env PGSHIFT_STRESS_PARTITIONED=1 PGSHIFT_STRESS_SECONDS=40 bash test/stress/run.sh
run_suite "pg-boss 9 and 10 live through the upgrade" bash test/pgboss/run.sh
run_suite "the backfill waits for a paused standby" bash test/replication/run.sh
run_suite "the backfill yields to the application's load" bash test/throttle/run.sh
run_suite "the throttle counts a CPU-limited cgroup's CPUs" bash test/throttle/cgroup.sh
run_suite "pgroll examples, schema public" conformance public
run_suite "pgroll examples, schema non_public" conformance non_public
run_suite "migrate the examples twice" migrate_examples_twice

for b in "${broken[@]}"; do echo "FAILED: $b"; failed=$((failed + 1)); done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
