-- The backfill's throttle settings (issue 13): start's options and backfill_configure check them
-- with errors that say what is wrong, store them on the jobs, and backfill_progress shows them.
-- (How the worker paces a backfill under load is tested with real load by test/throttle/run.sh.)
\set SHOW_CONTEXT never
CREATE SCHEMA bt;
CREATE TABLE bt.items (id int PRIMARY KEY, price text);
INSERT INTO bt.items SELECT g, g::text FROM generate_series(1, 3000) g;
ANALYZE bt.items;

-- Bad settings at start: refused, nothing started.
SELECT pgshift.start('bt', $${"name": "01", "operations": [{"alter_column": {"table": "items", "column": "price",
  "type": "integer", "up": "CAST(price AS integer)", "down": "CAST(price AS text)"}}]}$$, '{"throttle": "fast"}');
SELECT pgshift.start('bt', $${"name": "01", "operations": [{"alter_column": {"table": "items", "column": "price",
  "type": "integer", "up": "CAST(price AS integer)", "down": "CAST(price AS text)"}}]}$$, '{"duty_cycle": 0}');
SELECT pgshift.start('bt', $${"name": "01", "operations": [{"alter_column": {"table": "items", "column": "price",
  "type": "integer", "up": "CAST(price AS integer)", "down": "CAST(price AS text)"}}]}$$, '{"max_rows_per_second": -5}');
SELECT count(*) AS migrations, (SELECT count(*) FROM pgshift.jobs WHERE schema = 'bt') AS jobs
  FROM pgshift.migrations WHERE schema = 'bt';

-- Good ones are the jobs' (paused here, so that no worker runs meanwhile).
SELECT pgshift.start('bt', $${"name": "01", "operations": [{"alter_column": {"table": "items", "column": "price",
  "type": "integer", "up": "CAST(price AS integer)", "down": "CAST(price AS text)"}}]}$$,
  '{"paused": true, "throttle": "off", "max_rows_per_second": 50000, "duty_cycle": 0.5}') ->> 'status';
SELECT "table", state, throttle_mode, max_rows_per_second, duty_cycle FROM pgshift.backfill_progress WHERE schema = 'bt';

-- backfill_configure changes what it is given and leaves the rest; 0 rows/s and a duty cycle of 1 lift the bounds.
SELECT pgshift.backfill_configure('bt', throttle => 'auto');
SELECT throttle_mode, max_rows_per_second, duty_cycle FROM pgshift.backfill_progress WHERE schema = 'bt';
SELECT pgshift.backfill_configure('bt', max_rows_per_second => 0, duty_cycle => 1);
SELECT throttle_mode, max_rows_per_second, duty_cycle FROM pgshift.backfill_progress WHERE schema = 'bt';
SELECT pgshift.backfill_configure('bt', duty_cycle => 0.25, max_rows_per_second => 1000);
SELECT throttle_mode, max_rows_per_second, duty_cycle FROM pgshift.backfill_progress WHERE schema = 'bt';
-- Out of range: refused, nothing changed.
SELECT pgshift.backfill_configure('bt', throttle => 'slow');
SELECT pgshift.backfill_configure('bt', duty_cycle => 1.5);
SELECT pgshift.backfill_configure('bt', duty_cycle => 'NaN');
SELECT pgshift.backfill_configure('bt', max_rows_per_second => -1);
SELECT throttle_mode, max_rows_per_second, duty_cycle FROM pgshift.backfill_progress WHERE schema = 'bt';

-- A batch run by SQL (as the isolation tests do) reports no pacing: that is the worker's.
SELECT pgshift._backfill_batch('bt', '01', 1) > 0 AS batch_ran;
SELECT throttle_state, recent_rows_per_second, eta FROM pgshift.backfill_progress WHERE schema = 'bt';
-- The server's setting (pgshift.backfill_throttle, set in postgresql.conf: auto here) is the mode of jobs with none.
UPDATE pgshift.jobs SET throttle_mode = NULL WHERE schema = 'bt';
SELECT throttle_mode, current_setting('pgshift.backfill_throttle') AS setting FROM pgshift.backfill_progress WHERE schema = 'bt';
-- A session cannot change it: it is the server's (postgresql.conf, ALTER SYSTEM), as the worker reads it.
SET pgshift.backfill_throttle = off;

-- The worker runs it to the end; the rows are all there.
SELECT pgshift.backfill_configure('bt', max_rows_per_second => 0, duty_cycle => 1);
SELECT pgshift.backfill_resume('bt');
CALL pgshift.wait_for_jobs('bt');
SELECT state, rows_done FROM pgshift.backfill_progress WHERE schema = 'bt';
SELECT pgshift.complete('bt') ->> 'status';
SELECT count(*) FILTER (WHERE price = id) AS right, count(*) AS rows FROM bt.items;
DROP SCHEMA bt CASCADE;
