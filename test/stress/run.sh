#!/usr/bin/env bash
# Randomized multi-client stress test: one migration (accounts.amount text -> bigint, up
# CAST(amount AS bigint), down CAST(amount AS text)) while seven node-postgres clients write random
# rows through the old version, the new one (once it opens), the table itself and mixes of
# search_path, protocol and transactions; meanwhile the backfill is paused and resumed, its worker
# terminated and the server restarted. Checked: the versions agree row by row while clients write,
# and after complete (then after rollback, in a second run) every row holds the last value given
# to it. See test/stress/stress.js.
#
#   scripts/with-cluster.sh bash test/stress/run.sh
#
# The server comes from PG*; PGSHIFT_PG_CTL (set by with-cluster.sh) restarts it. Settings:
#   PGSHIFT_STRESS_SEED      seed of every random choice (printed; set it to replay a run's choices:
#                            the interleaving with the server still varies)
#   PGSHIFT_STRESS_SECONDS   the whole run, about (default 60)
#   PGSHIFT_STRESS_ROWS      rows filled before the migration (default 3000)
#   PGSHIFT_STRESS_LOG_DIR   writes every statement's log entry there (JSON lines), to study a failure
#   PGSHIFT_STRESS_PARTITIONED=1  the table is HASH-partitioned (three partitions, a backfill each)
#   PGSHIFT_NPM_CACHE        where node-postgres is installed (default /tmp/pgshift-npm-cache)
#   PGSHIFT_BIN              the pgshift CLI (default: pgshift on PATH)
# Prints one "FAIL: ..." line per failed check and ends with "N passed, N failed"; exits non-zero on
# any failure. Creates the databases pgshift_stress_complete and pgshift_stress_rollback, dropped at
# the end.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PGSHIFT_NPM_CACHE:-/tmp/pgshift-npm-cache}
seed=${PGSHIFT_STRESS_SEED:-$(( (RANDOM << 15 | RANDOM) % 1000000000 ))}
prefix=pgshift_stress
admin_db=${PGDATABASE:-postgres}
work=$(mktemp -d /tmp/pgshift-stress.XXXXXX)
passed=0 failed=0
node_pid=""

fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null
    wait "$node_pid" 2>/dev/null
  fi
  local db
  for db in "${prefix}_complete" "${prefix}_rollback"; do
    dropdb --if-exists --force --maintenance-db="$admin_db" "$db" >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'fail "interrupted"; finish; exit 130' INT TERM

# --- node-postgres, in a cache outside the repository ---------------------------------------------

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  fail "node and npm are needed (Debian: apt-get install nodejs npm)"
  finish; exit 1
fi
pg_loads() { node -e "require('$cache/node_modules/pg')" 2>"$work/node.err"; }
if ! pg_loads; then
  # Not there, or a broken earlier install: (re)install.
  rm -rf "$cache/node_modules"
  mkdir -p "$cache" || { fail "cannot create $cache"; finish; exit 1; }
  # From the cache directory, so that npm never looks for a package.json in the repository.
  if ! (cd "$cache" && npm install --prefix "$cache" --no-audit --no-fund --loglevel=error 'pg@^8' >"$work/npm.log" 2>&1); then
    fail "npm install pg into $cache failed: $(tail -n 5 "$work/npm.log" | tr '\n' ' ')"
    finish; exit 1
  fi
  pg_loads || { fail "node cannot load pg from $cache: $(head -c 300 "$work/node.err")"; finish; exit 1; }
fi

# --- the run ---------------------------------------------------------------------------------------

log_offset=0
server_log=""
if [[ -n ${PGSHIFT_CLUSTER_DIR:-} && -f $PGSHIFT_CLUSTER_DIR/server.log ]]; then
  server_log=$PGSHIFT_CLUSTER_DIR/server.log
  log_offset=$(stat -c %s "$server_log")
fi

started=$(date +%s)
NODE_PATH=$cache/node_modules PGSHIFT_STRESS_SEED=$seed PGSHIFT_STRESS_DB_PREFIX=$prefix \
  PGSHIFT_STRESS_RESULT=$work/result PGSHIFT_STRESS_WORK=$work \
  node "$here/stress.js" &
node_pid=$!
wait "$node_pid"
status=$?
node_pid=""

if [[ -s $work/result ]]; then
  read -r p f <"$work/result"
  passed=$((passed + p)); failed=$((failed + f))
else
  fail "the stress driver ended without results (exit $status)"
fi
[[ $status -eq 0 ]] || [[ ! -s $work/result ]] || fail "the stress driver exited with status $status"

# A backend that crashed would be hidden among the restarts: the server log must show none.
if [[ -n $server_log ]]; then
  crashes=$(tail -c +"$((log_offset + 1))" "$server_log" | grep -E 'terminated by signal|PANIC|TRAP:|was terminated by exception' | head -n 5)
  if [[ -n $crashes ]]; then
    fail "the server log shows crashes: $(echo "$crashes" | tr '\n' ' ' | head -c 400)"
  else
    passed=$((passed + 1))
  fi
fi

echo "   seed $seed, $(( $(date +%s) - started )) s"
finish
