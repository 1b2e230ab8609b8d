-- Backfills walk the primary key, else a unique NOT NULL column, else block ranges of the table
-- (no marker column needed); every row gets its value whatever the key.
\set SHOW_CONTEXT never
CREATE SCHEMA bk;
CREATE TABLE bk.composite (a int, b text, v int, PRIMARY KEY (a, b));
CREATE TABLE bk.unique_key (code text NOT NULL UNIQUE, v int);
CREATE TABLE bk.no_key (v int, note text);
INSERT INTO bk.composite SELECT g % 100, 'k' || g, g FROM generate_series(1, 5000) g;
INSERT INTO bk.unique_key SELECT 'c' || g, g FROM generate_series(1, 5000) g;
INSERT INTO bk.no_key SELECT g, NULL FROM generate_series(1, 5000) g;
DELETE FROM bk.no_key WHERE v % 7 = 0;   -- dead rows and holes on the way
SELECT pgshift.start('bk', $${"name": "01", "operations": [
  {"add_column": {"table": "composite", "up": "v * 2", "column": {"name": "doubled", "type": "int"}}},
  {"add_column": {"table": "unique_key", "up": "v * 2", "column": {"name": "doubled", "type": "int"}}},
  {"add_column": {"table": "no_key", "up": "v * 2", "column": {"name": "doubled", "type": "int"}}}]}$$,
  '{"backfill_batch_size": 300}') ->> 'jobs' AS jobs;
SELECT table_name, statement LIKE '%ctid%' AS by_block_ranges FROM pgshift.jobs WHERE schema = 'bk' ORDER BY step;
CALL pgshift.wait_for_jobs('bk');
SELECT "table", state, rows_done, batches > 1 AS batched, batch_size, last_batch_size FROM pgshift.backfill_progress WHERE schema = 'bk' ORDER BY 1;
SELECT (SELECT count(*) FROM bk_01.composite WHERE doubled = v * 2) AS composite,
       (SELECT count(*) FROM bk_01.unique_key WHERE doubled = v * 2) AS unique_key,
       (SELECT count(*) FROM bk_01.no_key WHERE doubled = v * 2) AS no_key,
       (SELECT count(*) FROM bk.no_key) AS no_key_rows;
SELECT pgshift.complete('bk') ->> 'status';

-- Without a batch size the worker adapts it: fast batches grow from 1000 towards ~100 ms each.
INSERT INTO bk.composite SELECT 1000 + g, 'big', g, 2 * g FROM generate_series(1, 30000) g;
SELECT pgshift.start('bk', $${"name": "02", "operations": [
  {"add_column": {"table": "composite", "up": "v + 1", "column": {"name": "plus_one", "type": "int"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('bk');
SELECT state, rows_done, batch_size, last_batch_size > 1000 AS grew, batches < 35 AS fewer_batches_than_fixed_1000
  FROM pgshift.backfill_progress WHERE schema = 'bk' AND migration = '02';
SELECT count(*) FILTER (WHERE plus_one = v + 1) AS right, count(*) AS rows FROM bk_02.composite;
SELECT pgshift.complete('bk') ->> 'status';
