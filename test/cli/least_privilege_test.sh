# shellcheck shell=bash disable=SC2154  # work and PGSHIFT come from run.sh
# The whole cycle through the CLI as a role that is not a superuser and owns its schema: start with a
# backfill run by the server's worker (as that role), both versions written, complete; and a rollback.
# A superuser only installs the extension and grants what the role needs. Sourced by run.sh.

test_case "least privilege: a non-superuser runs the cycle"
fresh_db least_privilege
role=pgshift_cli_migrator
sql "DROP ROLE IF EXISTS $role" >/dev/null
run "$PGSHIFT" init
sql "CREATE ROLE $role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
     GRANT CREATE ON DATABASE $PGDATABASE TO $role;
     CREATE SCHEMA app AUTHORIZATION $role" >/dev/null
assert_eq "the role is no superuser" "f" "$(sql "SELECT rolsuper FROM pg_roles WHERE rolname = '$role'")"
# It is given no rights on pgshift's tables: the API writes them for it.
assert_eq "the role cannot write pgshift's state" "f" \
  "$(sql "SELECT has_table_privilege('$role', 'pgshift.migrations', 'INSERT') OR has_table_privilege('$role', 'pgshift.jobs', 'UPDATE')")"

cat >"$work/lp_01_accounts.yaml" <<'YAML'
operations:
  - create_table:
      name: accounts
      columns:
        - {name: id, type: integer, pk: true}
        - {name: balance, type: text}
YAML
cat >"$work/lp_02_balance_int.yaml" <<'YAML'
operations:
  - alter_column:
      table: accounts
      column: balance
      type: integer
      up: CAST(balance AS integer)
      down: CAST(balance AS text)
YAML
as_role() { PGUSER=$role "$@"; }

assert_exit "start --complete of a new table" 0 as_role "$PGSHIFT" --schema app start --complete "$work/lp_01_accounts.yaml"
assert_eq "the role owns the table" "$role" "$(sql "SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'accounts'")"
PGUSER=$role sql "INSERT INTO app.accounts SELECT g, (g * 3)::text FROM generate_series(1, 20000) g" >/dev/null

# Rollback first: the database is as it was.
dump_schema "$work/lp_before.sql"
before_rows=$(sql "SELECT md5(string_agg(id || ':' || balance, ',' ORDER BY id)) FROM app.accounts")
assert_exit "start of a type change" 0 as_role "$PGSHIFT" --schema app start --no-wait \
  --backfill-batch-size 1000 --backfill-batch-delay 50ms "$work/lp_02_balance_int.yaml"
# (20 batches 50 ms apart: the worker is there for about a second.)
worker_user=""
for _ in $(seq 1 100); do
  worker_user=$(sql "SELECT usename FROM pg_stat_activity WHERE backend_type = 'pgshift worker' AND datname = current_database()")
  [[ -n $worker_user ]] && break
  sleep 0.02
done
assert_eq "the worker runs as the role" "$role" "$worker_user"
PGUSER=$role sql "CALL pgshift.wait_for_jobs('app')" >/dev/null
assert_eq "backfilled" "20000" "$(sql "SELECT count(*) FROM app.accounts WHERE _pgshift_new_balance = balance::integer")"
assert_exit "rollback" 0 as_role "$PGSHIFT" --schema app rollback
dump_schema "$work/lp_after_rollback.sql"
assert_files_equal "rollback left the schema as it was" "$work/lp_before.sql" "$work/lp_after_rollback.sql"
assert_eq "and the rows" "$before_rows" "$(sql "SELECT md5(string_agg(id || ':' || balance, ',' ORDER BY id)) FROM app.accounts")"

# Then the whole cycle, with writes through both versions while both live.
assert_exit "start again" 0 as_role "$PGSHIFT" --schema app start "$work/lp_02_balance_int.yaml"
PGUSER=$role sql "SET search_path TO app_lp_01_accounts; UPDATE accounts SET balance = '7' WHERE id = 1;
                  SET search_path TO app_lp_02_balance_int; UPDATE accounts SET balance = 8 WHERE id = 2;" >/dev/null
assert_eq "old version sees the new version's write" "8" \
  "$(PGUSER=$role sql "SELECT balance FROM app_lp_01_accounts.accounts WHERE id = 2")"
assert_eq "new version sees the old version's write" "7" \
  "$(PGUSER=$role sql "SELECT balance FROM app_lp_02_balance_int.accounts WHERE id = 1")"
assert_exit "complete" 0 as_role "$PGSHIFT" --schema app complete
assert_eq "balance is an integer" "integer" \
  "$(sql "SELECT data_type FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'accounts' AND column_name = 'balance'")"
assert_eq "every row right" "20000" \
  "$(sql "SELECT count(*) FROM app.accounts WHERE balance = CASE id WHEN 1 THEN 7 WHEN 2 THEN 8 ELSE id * 3 END")"
assert_eq "status" "Complete" "$(json_get "$(as_role "$PGSHIFT" --schema app status)" status)"
sql "DROP SCHEMA app CASCADE; DROP SCHEMA IF EXISTS app_lp_02_balance_int CASCADE; REVOKE ALL ON DATABASE $PGDATABASE FROM $role;
     DROP ROLE $role" >/dev/null
