# shellcheck shell=bash disable=SC2154  # work, PGSHIFT come from run.sh
# Two roles own a schema each in one database and migrate at the same time through the CLI, each
# with a backfill that the server's worker runs as that role. Neither can read or change the
# other's state, act on the other's migration, leave SQL for the other (or for a superuser) to run,
# or stop the other's worker. A superuser installs the extension; a non-superuser cannot.
# Sourced by run.sh.

test_case "multi-tenant: two owners migrate at once, each alone with its own"
fresh_db multi_tenant
tenant_a=pgshift_cli_tenant_a
tenant_b=pgshift_cli_tenant_b
sql "DROP ROLE IF EXISTS $tenant_a; DROP ROLE IF EXISTS $tenant_b;
     CREATE ROLE $tenant_a LOGIN; CREATE ROLE $tenant_b LOGIN;
     GRANT CREATE ON DATABASE $PGDATABASE TO $tenant_a, $tenant_b" >/dev/null

assert_exit "a non-superuser cannot install pgshift" 1 env PGUSER=$tenant_a psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pgshift"
assert_contains "and is told why" "$ERR" "permission denied to create extension \"pgshift\""
assert_exit "nor with the CLI" 1 env PGUSER=$tenant_a "$PGSHIFT" init
assert_contains "which says the same" "$ERR" "permission denied to create extension"
assert_exit "a superuser installs it" 0 "$PGSHIFT" init
sql "CREATE SCHEMA shop AUTHORIZATION $tenant_a; CREATE SCHEMA blog AUTHORIZATION $tenant_b" >/dev/null

cat >"$work/mt_a_01.yaml" <<'YAML'
operations:
  - create_table:
      name: orders
      columns:
        - {name: id, type: integer, pk: true}
        - {name: amount, type: text}
YAML
cat >"$work/mt_a_02.yaml" <<'YAML'
operations:
  - alter_column:
      table: orders
      column: amount
      type: integer
      up: CAST(amount AS integer)
      down: CAST(amount AS text)
YAML
cat >"$work/mt_b_01.yaml" <<'YAML'
operations:
  - create_table:
      name: posts
      columns:
        - {name: id, type: integer, pk: true}
        - {name: title, type: text}
YAML
cat >"$work/mt_b_02.yaml" <<'YAML'
operations:
  - add_column:
      table: posts
      up: length(title)
      column: {name: title_length, type: integer, nullable: true}
YAML
# B's next migration leaves SQL for whoever rolls it back: it tries to become a superuser.
cat >"$work/mt_b_03.yaml" <<YAML
operations:
  - sql:
      up: SELECT 1
      down: ALTER ROLE $tenant_b SUPERUSER
YAML
as_a() { PGUSER=$tenant_a "$@"; }
as_b() { PGUSER=$tenant_b "$@"; }

assert_exit "A creates its table" 0 as_a "$PGSHIFT" --schema shop start --complete "$work/mt_a_01.yaml"
assert_exit "B creates its table" 0 as_b "$PGSHIFT" --schema blog start --complete "$work/mt_b_01.yaml"
as_a sql "INSERT INTO shop.orders SELECT g, (g * 2)::text FROM generate_series(1, 20000) g" >/dev/null
as_b sql "INSERT INTO blog.posts SELECT g, repeat('t', g % 50) FROM generate_series(1, 20000) g" >/dev/null

# Both start at once, with slow backfills so that both workers run side by side.
( as_a "$PGSHIFT" --schema shop start --no-wait --backfill-batch-size 200 --backfill-batch-delay 50ms "$work/mt_a_02.yaml" \
    >"$work/mt_a.out" 2>"$work/mt_a.err"; echo $? >"$work/mt_a.status" ) &
( as_b "$PGSHIFT" --schema blog start --no-wait --backfill-batch-size 200 --backfill-batch-delay 50ms "$work/mt_b_02.yaml" \
    >"$work/mt_b.out" 2>"$work/mt_b.err"; echo $? >"$work/mt_b.status" ) &
wait
assert_eq "A's start" "0" "$(cat "$work/mt_a.status")"
assert_eq "B's start" "0" "$(cat "$work/mt_b.status")"
workers=""
for _ in $(seq 1 100); do
  workers=$(sql "SELECT string_agg(usename, ' ' ORDER BY usename) FROM pg_stat_activity
                 WHERE backend_type = 'pgshift worker' AND datname = current_database()")
  [[ $workers == "$tenant_a $tenant_b" ]] && break
  sleep 0.05
done
assert_eq "two workers, each as its tenant" "$tenant_a $tenant_b" "$workers"
b_worker=$(sql "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgshift worker' AND usename = '$tenant_b'")
assert_contains "A cannot stop B's worker" "$(as_a psql -X -q -c "SELECT pg_terminate_backend($b_worker)" 2>&1)" \
  "must be a member of the role whose process is being terminated"

# What A sees and may do of B's.
assert_eq "A sees its own migrations only" "shop" \
  "$(as_a sql "SELECT string_agg(DISTINCT schema, ' ') FROM pgshift.migrations")"
assert_eq "and its own jobs only" "shop" "$(as_a sql "SELECT string_agg(DISTINCT schema, ' ') FROM pgshift.jobs")"
assert_exit "A cannot rewrite B's plan" 3 as_a psql -X -q -v ON_ERROR_STOP=1 -f - <<<"UPDATE pgshift.migrations SET plan = '{}' WHERE schema = 'blog';"
assert_contains "permission denied" "$ERR" "permission denied for table migrations"
assert_exit "nor B's jobs" 3 as_a psql -X -q -v ON_ERROR_STOP=1 -f - <<<"UPDATE pgshift.jobs SET statement = 'SELECT 1';"
for command in complete rollback; do
  assert_exit "A's CLI: $command of B's schema" 1 as_a "$PGSHIFT" --schema blog $command
  assert_contains "is refused, naming who may" "$ERR" "role \"$tenant_a\" may not migrate schema \"blog\""
done
run as_a "$PGSHIFT" --schema blog status
assert_not_contains "A's status of B's schema shows none of B's migrations" "$OUT" "mt_b_02"
assert_contains "nor pause B's backfill" "$(as_a psql -X -q -c "SELECT pgshift.backfill_pause('blog')" 2>&1)" \
  "role \"$tenant_a\" may not migrate schema \"blog\""
assert_contains "nor launch one for B's jobs" "$(as_a psql -X -q -c "SELECT pgshift._launch_worker('blog', '$tenant_b')" 2>&1)" \
  "permission denied for function _launch_worker"

# Both finish, each by its own.
assert_exit "A waits for its backfill" 0 as_a psql -X -q -v ON_ERROR_STOP=1 -c "CALL pgshift.wait_for_jobs('shop')"
assert_exit "B waits for its backfill" 0 as_b psql -X -q -v ON_ERROR_STOP=1 -c "CALL pgshift.wait_for_jobs('blog')"
assert_exit "A completes" 0 as_a "$PGSHIFT" --schema shop complete
assert_exit "B completes" 0 as_b "$PGSHIFT" --schema blog complete
assert_eq "A's rows" "20000" "$(sql "SELECT count(*) FROM shop.orders WHERE amount = id * 2")"
assert_eq "B's rows" "20000" "$(sql "SELECT count(*) FROM blog.posts WHERE title_length = id % 50")"
assert_eq "each migration records its role" "shop $tenant_a $tenant_a|blog $tenant_b $tenant_b" \
  "$(sql "SELECT string_agg(schema || ' ' || string_agg, '|' ORDER BY schema DESC) FROM
          (SELECT schema, string_agg(role::text, ' ' ORDER BY seq) FROM pgshift.migrations GROUP BY schema) s")"

# B leaves SQL for a superuser's rollback: it runs as B, and fails; B stays what it was.
assert_exit "B starts a migration with a hostile down" 0 as_b "$PGSHIFT" --schema blog start "$work/mt_b_03.yaml"
assert_exit "a superuser's rollback runs B's down as B" 1 "$PGSHIFT" --schema blog rollback
assert_contains "which may not ALTER ROLE" "$ERR" "must be superuser"
assert_eq "B is no superuser" "f" "$(sql "SELECT rolsuper FROM pg_roles WHERE rolname = '$tenant_b'")"
assert_eq "and the migration is as it was" "In progress" "$(json_get "$("$PGSHIFT" --schema blog status)" status)"

sql "DROP SCHEMA shop CASCADE; DROP SCHEMA blog CASCADE; DROP SCHEMA IF EXISTS shop_mt_a_02 CASCADE;
     DROP SCHEMA IF EXISTS blog_mt_b_02 CASCADE; DROP SCHEMA IF EXISTS blog_mt_b_03 CASCADE;
     DELETE FROM pgshift.jobs; DELETE FROM pgshift.migrations;
     REVOKE ALL ON DATABASE $PGDATABASE FROM $tenant_a, $tenant_b;
     DROP OWNED BY $tenant_a, $tenant_b; DROP ROLE $tenant_a; DROP ROLE $tenant_b" >/dev/null
