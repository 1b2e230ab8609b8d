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

step "Two migrations, started and completed: customers, then orders"
pgshift start --complete examples/demo/01_create_customers.yaml
pgshift start --complete examples/demo/02_create_orders.yaml
sql -c "SET search_path TO public_02_create_orders" \
    -c "INSERT INTO customers (name, email) SELECT 'Customer ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'c' || g || '@example.com' END FROM generate_series(1, 20000) g" \
    -c "INSERT INTO orders (customer_id, total) SELECT 1 + g % 20000, (g % 100) || '.50' FROM generate_series(1, 50000) g"

step "pgshift start examples/demo/03_total_as_number.yaml (expand: twin columns, triggers, backfill by the worker)"
cat examples/demo/03_total_as_number.yaml
pgshift start examples/demo/03_total_as_number.yaml
pgshift status
sql -c "SELECT \"table\", state, rows_done, batches, round(max_batch_ms::numeric, 1) AS longest_batch_ms FROM pgshift.backfill_progress"

step "Old version (public_02_create_orders): an old app instance keeps writing the old shape"
sql -c "SET search_path TO public_02_create_orders" \
    -c "INSERT INTO customers (name) VALUES ('Old Client')" \
    -c "INSERT INTO orders (customer_id, total) VALUES (1, '12.34')" \
    -c '\d orders' -c "SELECT c.id, c.name, c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id ORDER BY o.id DESC LIMIT 3"

step "New version (public_03_total_as_number): a new app instance sees the new shape, at the same time"
sql -c "SET search_path TO public_03_total_as_number" \
    -c "INSERT INTO customers (full_name, email) VALUES ('New Client', 'new@example.com')" \
    -c "INSERT INTO orders (customer_id, total) VALUES (2, 99.99)" \
    -c '\d orders' -c "SELECT c.id, c.full_name, c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id ORDER BY o.id DESC LIMIT 3"

step "A client that names the version in every statement, with no search_path (as job queues and ORMs do)"
sql -c "SHOW search_path" \
    -c "INSERT INTO public_03_total_as_number.orders (customer_id, total) VALUES (3, 5.25)" \
    -c "UPDATE public_02_create_orders.orders SET total = '7.75' WHERE id = 1"

step "Each version reads what the other wrote"
sql -c "SELECT 'old view' AS version, id, total FROM public_02_create_orders.orders WHERE id = 1 OR id > 50000 UNION ALL SELECT 'new view', id, total::text FROM public_03_total_as_number.orders WHERE id = 1 OR id > 50000 ORDER BY 1, 2"

step "pgshift complete (contract: twins take the columns' names, the old version schema is dropped)"
pgshift complete
pgshift status
sql -c '\d public.orders' -c "SELECT nspname AS version_schemas FROM pg_namespace WHERE nspname LIKE 'public\_%' ORDER BY 1"
sql -c "SELECT name, done, version_schema FROM pgshift.migrations ORDER BY seq"
step "Demo finished; the throwaway server is removed now."
