-- Operations that need a dual-write trigger and a backfill, on a partitioned table: the trigger is
-- made on the partitioned table (PostgreSQL puts it on every partition), and each partition is
-- backfilled on its own. Both versions read and write at once, a row moving between partitions too.
\set SHOW_CONTEXT never
CREATE SCHEMA pd;
SELECT pgshift.start('pd', $${"name": "01", "operations": [
  {"create_table": {"name": "job", "columns": [
      {"name": "name", "type": "text"}, {"name": "id", "type": "int"},
      {"name": "state", "type": "text", "nullable": true}, {"name": "data", "type": "text", "nullable": true}],
    "constraints": [{"name": "job_pkey", "type": "primary_key", "columns": ["name", "id"]}],
    "partition_by": {"strategy": "list", "columns": ["name"]},
    "partitions": [{"name": "job_a", "values": ["'a'"]}, {"name": "job_rest", "default": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('pd') ->> 'status';
-- A partition attached by hand, with its columns in another order (other attribute numbers).
CREATE TABLE pd.job_b (data text, id int NOT NULL, state text, name text NOT NULL);
ALTER TABLE pd.job ATTACH PARTITION pd.job_b FOR VALUES IN ('b');
INSERT INTO pd_01.job SELECT (ARRAY['a', 'b', 'c'])[g % 3 + 1], g, CASE WHEN g % 7 <> 0 THEN 'created' END, 'd' || g
  FROM generate_series(1, 3000) g;
CREATE TEMP TABLE before_start AS SELECT pgshift.read_schema('pd') AS snapshot;
CREATE TEMP TABLE rows_before AS SELECT * FROM pd.job;

SELECT pgshift.start('pd', $${"name": "02", "operations": [
  {"alter_column": {"table": "job", "column": "state", "nullable": false,
     "up": "coalesce(upper(state), 'NONE')", "down": "lower(state)"}},
  {"add_column": {"table": "job", "column": {"name": "size", "type": "int", "nullable": true}, "up": "length(data)"}}]}$$)
  ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('pd');
SELECT table_name, state, rows_done FROM pgshift.jobs WHERE schema = 'pd' AND migration = '02' AND kind = 'backfill'
 ORDER BY table_name;
-- The trigger is on every partition, enabled ALWAYS.
SELECT tgrelid::regclass AS on_table, tgenabled FROM pg_trigger WHERE tgname = '~pgshift_dual_write' ORDER BY 1;
-- Every existing row, in every partition, has the new columns.
SELECT count(*) FILTER (WHERE j.state = coalesce(upper(r.state), 'NONE') AND j.size = length(r.data)) AS right, count(*) AS rows
  FROM pd_02.job j JOIN rows_before r USING (name, id);

-- Writes through both versions, each seen by the other.
INSERT INTO pd_01.job (name, id, state, data) VALUES ('b', 5000, 'old', 'xyz'), ('c', 5001, NULL, 'q');
INSERT INTO pd_02.job (name, id, state, data, size) VALUES ('a', 5002, 'NEW', 'abcd', 99);
UPDATE pd_01.job SET state = 'done' WHERE name = 'b' AND id = 1;
UPDATE pd_02.job SET state = 'FAILED' WHERE name = 'c' AND id = 2;
-- A row moves from partition job_a to job_b through the old version, another back through the new.
UPDATE pd_01.job SET name = 'b', state = 'moved' WHERE name = 'a' AND id = 3;
UPDATE pd_02.job SET name = 'a', state = 'BACK' WHERE name = 'b' AND id = 4;
DELETE FROM pd_01.job WHERE name = 'a' AND id = 6;
DELETE FROM pd_02.job WHERE name = 'b' AND id = 7;
-- A job failed as pg-boss 10 fails one: deleted and inserted again through the new version in one
-- statement. The insert is routed into a partition that the delete names too: still a write of the
-- new version, so `down` fills the old column.
WITH failed AS (DELETE FROM pd_02.job WHERE name = 'a' AND id = 9 RETURNING *)
INSERT INTO pd_02.job (name, id, state, data, size) SELECT name, id, 'RETRY', data, size FROM failed;
-- A partition written directly and through the new version's view of its table in one statement:
-- neither direction fits both, so it is refused, and nothing is written.
WITH failed AS (DELETE FROM pd.job_a WHERE name = 'a' AND id = 12 RETURNING *)
INSERT INTO pd_02.job (name, id, state, data) SELECT name, id, 'RETRY', data FROM failed;
SELECT count(*) AS row_12_kept FROM pd.job WHERE id = 12;
SELECT j.tableoid::regclass AS partition, j.name, j.id FROM pd.job j WHERE id IN (3, 4) ORDER BY id;
SELECT name, id, state FROM pd_01.job WHERE id IN (1, 2, 3, 4, 9, 5000, 5001, 5002) ORDER BY id;
SELECT name, id, state, size FROM pd_02.job WHERE id IN (1, 2, 3, 4, 9, 5000, 5001, 5002) ORDER BY id;
SELECT count(*) AS old_rows FROM pd_01.job;
SELECT count(*) AS new_rows FROM pd_02.job;

-- Rollback leaves the schema as it was, with the rows the old version sees.
SELECT pgshift.rollback('pd') ->> 'status';
SELECT pgshift.read_schema('pd') = (SELECT snapshot FROM before_start) AS schema_unchanged;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgname = '~pgshift_dual_write';
SELECT name, id, state FROM pd.job WHERE id IN (1, 2, 3, 4, 5000, 5001, 5002) ORDER BY id;

-- Start again and complete: the new shape, every row.
SELECT pgshift.start('pd', $${"name": "02", "operations": [
  {"alter_column": {"table": "job", "column": "state", "nullable": false,
     "up": "coalesce(upper(state), 'NONE')", "down": "lower(state)"}},
  {"add_column": {"table": "job", "column": {"name": "size", "type": "int", "nullable": true}, "up": "length(data)"}}]}$$)
  ->> 'status';
CALL pgshift.wait_for_jobs('pd');
SELECT pgshift.complete('pd') ->> 'status';
SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'pd.job'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT count(*) FILTER (WHERE state = upper(state) AND size = length(data)) AS right, count(*) AS rows FROM pd.job;
SELECT count(*) AS not_null_partitions FROM pg_attribute a JOIN pg_inherits i ON i.inhrelid = a.attrelid
 WHERE i.inhparent = 'pd.job'::regclass AND a.attname = 'state' AND a.attnotnull;

-- A partition that is partitioned itself is refused, with nothing changed.
CREATE TABLE pd.job_nested PARTITION OF pd.job FOR VALUES IN ('n') PARTITION BY LIST (id);
SELECT pgshift.start('pd', $${"name": "03", "operations": [
  {"add_column": {"table": "job", "column": {"name": "twice", "type": "int", "nullable": true}, "up": "id * 2"}}]}$$);
SELECT pgshift.is_active('pd') AS active;
