-- Every state has a way forward that works, start refuses what could never complete, and every
-- error says what happened and the exact next command (issue 10, case 8).
\set SHOW_CONTEXT never
CREATE SCHEMA ss;
CREATE TABLE ss.items (id int PRIMARY KEY, price text, qty int);
INSERT INTO ss.items SELECT g, g::text, g FROM generate_series(1, 200) g;
CREATE TABLE ss.other (id int PRIMARY KEY, label text);

-- A table of the migration dropped outside pgshift while it runs: complete refuses and says to
-- roll back; rollback then works (what was on the table went with it).
SELECT pgshift.start('ss', $${"name": "01", "operations": [
  {"alter_column": {"table": "items", "column": "price", "type": "integer", "up": "CAST(price AS integer)", "down": "CAST(price AS text)"}},
  {"add_column": {"table": "other", "up": "upper(label)", "column": {"name": "shout", "type": "text", "nullable": true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('ss');
DROP TABLE ss.other CASCADE;
SELECT pgshift.complete('ss');
SELECT pgshift.rollback('ss') ->> 'status';
SELECT pgshift.status('ss') ->> 'status' AS status;
SELECT count(*) AS pgshift_columns FROM pg_attribute WHERE attrelid = 'ss.items'::regclass AND attname LIKE '_pgshift%' AND NOT attisdropped;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'ss.items'::regclass;

-- A column that a stored generated column (or a view of the user's) uses could never be dropped at
-- complete: start refuses, saying what depends on it.
ALTER TABLE ss.items ADD COLUMN total int GENERATED ALWAYS AS (qty * 2) STORED;
SELECT pgshift.start('ss', $${"name": "02", "operations": [
  {"alter_column": {"table": "items", "column": "qty", "type": "bigint", "up": "qty", "down": "qty"}}]}$$);
CREATE VIEW ss.cheap AS SELECT id FROM ss.items WHERE price < '5';
SELECT pgshift.start('ss', $${"name": "02", "operations": [
  {"drop_column": {"table": "items", "column": "price"}}]}$$);
SELECT count(*) AS migrations FROM pgshift.migrations WHERE schema = 'ss';
DROP VIEW ss.cheap;

-- The worker gone (a server restart, a killed process) while a job was running: complete says
-- that no worker runs it and what starts it again; backfill_resume does, from its checkpoint.
DO $$ BEGIN   -- the worker of migration 01 has ended
  FOR i IN 1..400 LOOP EXIT WHEN NOT pgshift.worker_running('ss'); PERFORM pg_sleep(0.05); END LOOP;
END $$;
SELECT pgshift.start('ss', $${"name": "02", "operations": [
  {"alter_column": {"table": "items", "column": "price", "type": "integer", "up": "CAST(price AS integer)", "down": "CAST(price AS text)"}}]}$$,
  '{"paused": true, "backfill_batch_size": 50}') ->> 'status';
SELECT pgshift._backfill_batch('ss', '02', 1) AS rows;
UPDATE pgshift.jobs SET state = 'running' WHERE schema = 'ss';   -- as the worker left them when it died
SELECT pgshift.complete('ss');
-- A paused job says so, and the same call resumes it.
UPDATE pgshift.jobs SET state = 'paused' WHERE schema = 'ss';
SELECT pgshift.complete('ss');
SELECT pgshift.backfill_resume('ss');
CALL pgshift.wait_for_jobs('ss');
SELECT kind, state, rows_done FROM pgshift.jobs WHERE schema = 'ss' ORDER BY step;
SELECT pgshift.complete('ss') ->> 'status';
SELECT count(*) FILTER (WHERE price = id) AS right FROM ss.items;

-- A failed job names the failure and how to retry it.
UPDATE ss.items SET qty = -1 WHERE id = 100;
SELECT pgshift.start('ss', $${"name": "03", "operations": [
  {"alter_column": {"table": "items", "column": "price", "type": "bigint", "up": "CASE WHEN qty < 0 THEN CAST('bad ' || id AS bigint) ELSE price END", "down": "price"}}]}$$,
  '{"backfill_batch_size": 50}') ->> 'status';
CALL pgshift.wait_for_jobs('ss');
SELECT pgshift.complete('ss');
UPDATE ss.items SET qty = 1 WHERE id = 100;
SELECT pgshift.backfill_resume('ss');
CALL pgshift.wait_for_jobs('ss');
SELECT pgshift.complete('ss') ->> 'status';
