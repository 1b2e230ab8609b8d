#!/usr/bin/env bash
# The demo itself, against the server in PG* (see scripts/demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }
createdb demo
export PGDATABASE=demo

step "pgshift init (CREATE EXTENSION pgshift)"
pgshift init

step "pgshift start --complete examples/demo/01_create_customers.yaml"
pgshift start --complete examples/demo/01_create_customers.yaml
sql -c "SET search_path TO public_01_create_customers" \
    -c "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Linus', NULL)"

step "pgshift start examples/demo/02_create_orders.yaml (expand: a new version schema appears)"
pgshift start examples/demo/02_create_orders.yaml
pgshift status

step "Old version (public_01_create_customers): an old app instance keeps working"
sql -c "SET search_path TO public_01_create_customers" \
    -c "INSERT INTO customers (name) VALUES ('written by the old version')" \
    -c '\dv' -c "SELECT * FROM customers ORDER BY id"

step "New version (public_02_create_orders): a new app instance sees the new table"
sql -c "SET search_path TO public_02_create_orders" \
    -c "INSERT INTO customers (name) VALUES ('written by the new version')" \
    -c "INSERT INTO orders (customer_id, total) VALUES (1, 9.99), (3, 20)" \
    -c '\dv' -c "SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id"

step "pgshift complete (contract: the old version schema is dropped)"
pgshift complete
pgshift status
sql -c "SELECT nspname AS version_schemas FROM pg_namespace WHERE nspname LIKE 'public\_%' ORDER BY 1"
sql -c "SELECT name, done, version_schema FROM pgshift.migrations ORDER BY seq"
step "Demo finished; the throwaway server is removed now."
