-- The backfill ends at the table's last key as its first batch found it (issue 13): rows written
-- after start went through the dual-write trigger, so an application that keeps inserting does
-- not keep the backfill running; every row still ends with its value.
\set SHOW_CONTEXT never
CREATE SCHEMA be;
CREATE TABLE be.events (tenant int, id int, v text, PRIMARY KEY (tenant, id));
INSERT INTO be.events SELECT g % 3, g, g::text FROM generate_series(1, 900) g;
ANALYZE be.events;
SELECT pgshift.start('be', $${"name": "01", "operations": [{"alter_column": {"table": "events", "column": "v",
  "type": "integer", "up": "CAST(v AS integer)", "down": "CAST(v AS text)"}}]}$$,
  '{"paused": true, "backfill_batch_size": 200}') ->> 'status';
-- Rows inserted after start, before and after the first batch, below and above the last key.
INSERT INTO be.events VALUES (5, 1, '1001'), (0, 0, '1002');
SELECT pgshift._backfill_batch('be', '01', 1) AS first_batch;
INSERT INTO be.events SELECT 9, g, (2000 + g)::text FROM generate_series(1, 500) g;
SELECT cursor[3:4] AS stop_key FROM pgshift.jobs WHERE schema = 'be' AND kind = 'backfill';
SELECT count(rows) AS batches_that_ran FROM (SELECT pgshift._backfill_batch('be', '01', 1) AS rows FROM generate_series(1, 20)) b;
-- Done after the rows up to (5, 1): not the 500 inserted after its first batch.
SELECT state, rows_done FROM pgshift.jobs WHERE schema = 'be' AND kind = 'backfill';
SELECT count(*) FILTER (WHERE _pgshift_new_v::text = v) AS right, count(*) AS rows FROM be.events;
SELECT pgshift.backfill_resume('be');
CALL pgshift.wait_for_jobs('be');
SELECT pgshift.complete('be') ->> 'status';
SELECT count(*) FILTER (WHERE v = CASE WHEN (tenant, id) = (5, 1) THEN 1001 WHEN (tenant, id) = (0, 0) THEN 1002
                                      WHEN tenant = 9 THEN 2000 + id ELSE id END) AS right, count(*) AS rows FROM be.events;
DROP SCHEMA be CASCADE;
