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
SELECT kind, table_name, statement LIKE '%ctid >=%' AS by_block_ranges FROM pgshift.jobs WHERE schema = 'bk' ORDER BY step;
CALL pgshift.wait_for_jobs('bk');
-- (A block-range backfill may visit a row twice: one its own update moved further on.)
SELECT "table", state, CASE WHEN "table" = 'no_key' THEN rows_done >= 4286 ELSE rows_done = 5000 END AS every_row,
       batches > 1 AS batched, batch_size, last_batch_size FROM pgshift.backfill_progress WHERE schema = 'bk' ORDER BY 1;
SELECT (SELECT count(*) FROM bk_01.composite WHERE doubled = v * 2) AS composite,
       (SELECT count(*) FROM bk_01.unique_key WHERE doubled = v * 2) AS unique_key,
       (SELECT count(*) FROM bk_01.no_key WHERE doubled = v * 2) AS no_key,
       (SELECT count(*) FROM bk.no_key) AS no_key_rows;

-- Without a batch size the worker adapts it: fast batches grow from 1000 towards ~100 ms each.
INSERT INTO bk.composite SELECT 1000 + g, 'big', g, 2 * g FROM generate_series(1, 30000) g;
SELECT pgshift.start('bk', $${"name": "02", "operations": [
  {"add_column": {"table": "composite", "up": "v + 1", "column": {"name": "plus_one", "type": "int"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('bk');
SELECT state, rows_done, batch_size, last_batch_size > 1000 AS grew, batches < 35 AS fewer_batches_than_fixed_1000
  FROM pgshift.backfill_progress WHERE schema = 'bk' AND migration = '02';
SELECT count(*) FILTER (WHERE plus_one = v + 1) AS right, count(*) AS rows FROM bk_02.composite;
SELECT pgshift.complete('bk') ->> 'status';

-- Under the worker's planner settings (extension/pg/job_worker.cpp) a batch is one index range
-- scan, whatever the key's statistics: a composite text key with few distinct leading values (a
-- range condition on it is misestimated) must not make every batch scan the whole table.
CREATE TABLE bk.tenant_items (tenant text, sku text, v int, PRIMARY KEY (tenant, sku));
INSERT INTO bk.tenant_items SELECT 't' || (g % 3), 'sku' || g, g FROM generate_series(1, 60000) g;
ANALYZE bk.tenant_items;
SELECT pgshift.start('bk', $${"name": "03", "operations": [
  {"add_column": {"table": "tenant_items", "up": "v + 1", "column": {"name": "next", "type": "int"}}}]}$$,
  '{"backfill_batch_size": 1000}') ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('bk');
SELECT statement AS batch_statement FROM pgshift.jobs WHERE schema = 'bk' AND migration = '03' AND kind = 'backfill' \gset
PREPARE batch(text[], integer) AS :batch_statement;
CREATE FUNCTION pg_temp.plan_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query; END $$;
-- The plan under the worker's planner settings.
CREATE FUNCTION pg_temp.worker_plan_lines(query text) RETURNS SETOF text LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query; END $$;
SELECT bool_or(line LIKE '%Seq Scan on tenant_items%' OR line LIKE '%Bitmap Heap Scan on tenant_items%')
       AS table_scanned_without_the_settings
  FROM pg_temp.plan_lines($$EXECUTE batch('{t1,sku30001}', 1000)$$) AS line;
SELECT count(*) FILTER (WHERE line LIKE '%Update on tenant_items%') AS updates,
       count(*) FILTER (WHERE line LIKE '%Index Scan using tenant_items_pkey on tenant_items _pgshift_t%') AS range_scans,
       NOT bool_or(line LIKE '%Seq Scan%' OR line LIKE '%Bitmap Heap Scan%') AS no_table_scan
  FROM pg_temp.worker_plan_lines($$EXECUTE batch('{t1,sku30001}', 1000)$$) AS line;
SELECT count(*) FILTER (WHERE next = v + 1) AS right, count(*) AS rows FROM bk_03.tenant_items;
DEALLOCATE batch;
SELECT pgshift.complete('bk') ->> 'status';

-- A table without a key is walked by block ranges: both ends are TID range conditions, so a batch
-- reads its blocks only (an end computed in the WHERE clause itself, from the table's size, was a
-- filter: every batch read the table to its end).
CREATE TABLE bk.lines (line text);
INSERT INTO bk.lines SELECT 'line ' || g FROM generate_series(1, 20000) g;
ANALYZE bk.lines;
SELECT pgshift.start('bk', $${"name": "04", "operations": [
  {"add_column": {"table": "lines", "up": "upper(line)", "column": {"name": "shout", "type": "text"}}}]}$$,
  '{"backfill_batch_size": 1000}') ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('bk');
SELECT statement AS batch_statement FROM pgshift.jobs WHERE schema = 'bk' AND migration = '04' AND kind = 'backfill' \gset
PREPARE batch(text[], integer) AS :batch_statement;
SELECT count(*) FILTER (WHERE line LIKE '%Tid Range Scan on lines _pgshift_t%') AS range_scans,
       count(*) FILTER (WHERE line LIKE '%TID Cond: ((ctid >= $%) AND (ctid < $%))%') AS both_ends_in_the_range,
       NOT bool_or(line LIKE '%Filter%' OR line LIKE '%Seq Scan on lines%') AS no_filter
  FROM pg_temp.worker_plan_lines($$EXECUTE batch('{3,60}', 1000)$$) AS line;
SELECT state, rows_done >= 20000 AS every_row, batches > 10 AS in_many_batches FROM pgshift.jobs WHERE schema = 'bk' AND migration = '04' AND kind = 'backfill';
SELECT count(*) FILTER (WHERE shout = upper(line)) AS right, count(*) AS rows FROM bk_04.lines;
DEALLOCATE batch;
SELECT pgshift.complete('bk') ->> 'status';
