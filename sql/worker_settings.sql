-- The worker runs with settings of its own, not the role's or the database's defaults: a role whose
-- search_path names the new version (as the README suggests behind PgBouncer) must not turn the
-- backfill into `down`, and text forms of keys must read back exactly, so that the keyset cursor
-- neither skips rows nor loops, for every kind of key (issue 10, case 3).
\set SHOW_CONTEXT never
CREATE SCHEMA ws;
CREATE DOMAIN ws.code AS integer CHECK (VALUE > 0);
CREATE TABLE ws.floats (k float8 PRIMARY KEY, v int);
CREATE TABLE ws.reals (k float4 PRIMARY KEY, v int);
CREATE TABLE ws.numerics (k numeric PRIMARY KEY, v int);
CREATE TABLE ws.stamps (k timestamptz PRIMARY KEY, v int);
CREATE TABLE ws.dates (k date PRIMARY KEY, v int);
CREATE TABLE ws.intervals (k interval PRIMARY KEY, v int);
CREATE TABLE ws.texts (k text COLLATE "C" PRIMARY KEY, v int);
CREATE TABLE ws.natural_texts (k text PRIMARY KEY, v int);   -- the database's collation
CREATE TABLE ws.uuids (k uuid PRIMARY KEY, v int);
CREATE TABLE ws.codes (k ws.code PRIMARY KEY, v int);
CREATE TABLE ws.byteas (k bytea PRIMARY KEY, v int);
CREATE TABLE ws.pairs (a text, b float8, v int, PRIMARY KEY (a, b));
-- Neighbours that differ only in the last digits a rounded text form would lose.
INSERT INTO ws.floats SELECT 1 + g * 2.220446049250313e-16, g FROM generate_series(1, 300) g;
INSERT INTO ws.reals SELECT 1 + g * 1.1920929e-07::float4, g FROM generate_series(1, 300) g;
INSERT INTO ws.numerics SELECT 1 + g * 0.000000000000000000001, g FROM generate_series(1, 300) g;
INSERT INTO ws.stamps SELECT '2026-03-29 00:59:59.999+00'::timestamptz + g * interval '1 microsecond', g FROM generate_series(1, 300) g;
INSERT INTO ws.dates SELECT date '2026-01-01' + g, g FROM generate_series(1, 300) g;
INSERT INTO ws.intervals SELECT g * interval '1 day 1 microsecond', g FROM generate_series(1, 300) g;
INSERT INTO ws.texts SELECT chr(65 + g % 26) || 'x' || g, g FROM generate_series(1, 300) g;
INSERT INTO ws.natural_texts SELECT CASE WHEN g % 2 = 0 THEN 'b' ELSE 'B' END || g, g FROM generate_series(1, 300) g;
INSERT INTO ws.uuids SELECT md5(g::text)::uuid, g FROM generate_series(1, 300) g;
INSERT INTO ws.codes SELECT g, g FROM generate_series(1, 300) g;
INSERT INTO ws.byteas SELECT decode(md5(g::text), 'hex'), g FROM generate_series(1, 300) g;
INSERT INTO ws.pairs SELECT 'p' || g % 3, 1 + g * 2.220446049250313e-16, g FROM generate_series(1, 300) g;

-- Defaults the worker would inherit from the role and the database.
SELECT current_database() AS db, current_user AS me \gset
ALTER DATABASE :"db" SET extra_float_digits = -15;
ALTER DATABASE :"db" SET DateStyle = 'SQL, DMY';
ALTER DATABASE :"db" SET IntervalStyle = 'sql_standard';
ALTER DATABASE :"db" SET TimeZone = 'Europe/London';
ALTER DATABASE :"db" SET bytea_output = 'escape';
ALTER DATABASE :"db" SET transform_null_equals = on;
ALTER DATABASE :"db" SET statement_timeout = '1ms';
ALTER ROLE :"me" IN DATABASE :"db" SET search_path = ws_02, ws;

SELECT pgshift.start('ws', json_build_object('name', '02', 'operations',
  (SELECT json_agg(json_build_object('add_column', json_build_object('table', t, 'up', 'v * 2',
           'column', json_build_object('name', 'doubled', 'type', 'int', 'nullable', true)))) FROM unnest(ARRAY[
     'floats', 'reals', 'numerics', 'stamps', 'dates', 'intervals', 'texts', 'natural_texts', 'uuids', 'codes',
     'byteas', 'pairs']) t))::jsonb,
  '{"backfill_batch_size": 7}') ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('ws');
SELECT table_name, state, rows_done, batches FROM pgshift.jobs WHERE schema = 'ws' AND kind = 'backfill' ORDER BY step;
SELECT t AS "table", (xpath('/row/c/text()', query_to_xml(format(
         'SELECT count(*) FILTER (WHERE doubled = v * 2) || ''/'' || count(*) AS c FROM ws_02.%I', t), false, true, '')))[1]::text AS right
  FROM unnest(ARRAY['floats', 'reals', 'numerics', 'stamps', 'dates', 'intervals', 'texts', 'natural_texts', 'uuids',
                    'codes', 'byteas', 'pairs']) t;
ALTER DATABASE :"db" RESET ALL;
ALTER ROLE :"me" IN DATABASE :"db" RESET ALL;
SELECT pgshift.complete('ws') ->> 'status';

-- A type change, backfilled by a worker whose role's search_path puts the new version first: the
-- backfill is `up` (0.1.0 ran `down` for every row and lost the old values).
CREATE TABLE ws.prices (id int PRIMARY KEY, amount text);
INSERT INTO ws.prices SELECT g, (g * 3)::text FROM generate_series(1, 500) g;
ALTER ROLE :"me" IN DATABASE :"db" SET search_path = ws_03, ws;
SELECT pgshift.start('ws', $${"name": "03", "operations": [
  {"alter_column": {"table": "prices", "column": "amount", "type": "bigint",
    "up": "CAST(amount AS bigint) * 100", "down": "CAST(amount / 100 AS text)"}}]}$$, '{"backfill_batch_size": 50}') ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('ws');
ALTER ROLE :"me" IN DATABASE :"db" RESET ALL;
SELECT count(*) FILTER (WHERE amount = (id * 3)::text AND _pgshift_new_amount = id * 300) AS right, count(*) AS rows
  FROM ws.prices;
SELECT pgshift.complete('ws') ->> 'status';

-- An expression whose value depends on session settings (a cast of text to date reads DateStyle)
-- gets one value in the backfill and maybe another in a writer's session: start says so.
CREATE TABLE ws.orders (id int PRIMARY KEY, placed text);
INSERT INTO ws.orders VALUES (1, '2026-03-04');
SELECT pgshift.start('ws', $${"name": "04", "operations": [
  {"alter_column": {"table": "orders", "column": "placed", "type": "date", "up": "CAST(placed AS date)", "down": "CAST(placed AS text)"}}]}$$) ->> 'status';
SELECT pgshift.rollback('ws') ->> 'status';
