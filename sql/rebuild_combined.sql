-- rebuild_table with the migration's other column and index operations on the same table (the
-- shape of pg-boss 9 -> 10): the table is rebuilt LIST-partitioned by name with the key (name, id),
-- and in the same migration a column is renamed, one dropped, two added (one computed by `up`), a
-- default changed, a type changed (up/down), an index dropped and a partial unique expression
-- index made. Both versions read and write through start; rollback leaves the table as it was with
-- every write; complete leaves the new shape with every row.
\set SHOW_CONTEXT never
CREATE SCHEMA rc;
SELECT pgshift.start('rc', $${"name": "01", "operations": [
  {"create_table": {"name": "job", "columns": [
    {"name": "id", "type": "serial", "pk": true},
    {"name": "name", "type": "text"},
    {"name": "state", "type": "text", "default": "'created'", "check": {"name": "job_state_known", "constraint": "state IN ('created', 'active', 'done')"}},
    {"name": "retrylimit", "type": "int", "default": "0"},
    {"name": "priority", "type": "int", "default": "0"},
    {"name": "on_complete", "type": "boolean", "default": "false"},
    {"name": "data", "type": "jsonb", "nullable": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('rc') ->> 'status';
CREATE INDEX job_name ON rc.job (name);
INSERT INTO rc_01.job (name, retrylimit, priority, data)
  SELECT (ARRAY['email', 'sms', 'push'])[g % 3 + 1], g % 4, g, jsonb_build_object('key', g) FROM generate_series(1, 1000) g;
CREATE TEMP TABLE schema_before AS SELECT pgshift.read_schema('rc') AS snapshot;

-- What cannot be combined yet is refused, naming the operation; nothing changes.
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}},
  {"alter_column": {"table": "job", "column": "name", "type": "varchar(20)", "up": "name", "down": "name"}}]}$$);
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}},
  {"rename_table": {"from": "job", "to": "jobs"}}]}$$);
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"drop_column": {"table": "job", "column": "on_complete"}},
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}}]}$$);
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"drop_index": {"name": "job_name"}},
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}}]}$$);
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"rename_constraint": {"table": "job", "from": "job_state_known", "to": "job_state_check"}},
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}}]}$$);
-- A unique constraint cannot be made on a partitioned rebuild at complete (PostgreSQL has no ADD
-- CONSTRAINT ... USING INDEX for partitioned tables).
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"], "partition_by": {"strategy": "list", "columns": ["name"]},
    "partitions": [{"name": "job_rest", "default": true}]}},
  {"alter_column": {"table": "job", "column": "priority", "unique": {"name": "job_priority_key"}}}]}$$);
-- A failure of the combination's own DDL at start (a unique index without the partition key) too.
SELECT pgshift.start('rc', $${"name": "bad", "operations": [
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"], "partition_by": {"strategy": "list", "columns": ["name"]},
    "partitions": [{"name": "job_rest", "default": true}]}},
  {"create_index": {"name": "job_by_key", "table": "job", "unique": true, "columns": [{"expression": "data ->> 'key'"}]}}]}$$);
SELECT pgshift.is_active('rc') AS active, pgshift.read_schema('rc') = (SELECT snapshot FROM schema_before) AS unchanged,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'rc'::regnamespace AND relname LIKE '\_pgshift%') AS leftovers;

\set migration '{"name": "02", "operations": [ {"rebuild_table": {"table": "job", "primary_key": ["name", "id"], "partition_by": {"strategy": "list", "columns": ["name"]}, "partitions": [{"name": "job_email", "values": ["''email''"]}, {"name": "job_rest", "default": true}]}}, {"rename_column": {"table": "job", "from": "retrylimit", "to": "retry_limit"}}, {"drop_column": {"table": "job", "column": "on_complete", "down": "false"}}, {"add_column": {"table": "job", "column": {"name": "dead_letter", "type": "text", "nullable": true}}}, {"add_column": {"table": "job", "column": {"name": "policy", "type": "text", "default": "''standard''"}, "up": "CASE WHEN priority > 500 THEN ''high'' ELSE ''standard'' END"}}, {"alter_column": {"table": "job", "column": "retry_limit", "default": "2"}}, {"alter_column": {"table": "job", "column": "priority", "type": "bigint", "up": "priority * 10", "down": "(priority / 10)::int"}}, {"drop_index": {"name": "job_name"}}, {"create_index": {"name": "job_i1", "table": "job", "unique": true, "columns": [{"column": "name"}, {"expression": "COALESCE(data ->> ''key'', '''')"}], "predicate": "state = ''created''"}} ]}'

-- Start, then writes through both versions; the old version's rows as they were before, to compare after rollback.
CREATE TEMP TABLE rows_before AS SELECT * FROM rc.job;
SELECT pgshift.start('rc', :'migration') ->> 'status';
CALL pgshift.wait_for_jobs('rc');
SELECT kind, state, rows_done FROM pgshift.jobs WHERE schema = 'rc' AND migration = '02' ORDER BY step;
-- Every row copied, with the new version's columns computed from the old ones.
SELECT (SELECT count(*) FROM rc_01.job) AS old_rows, (SELECT count(*) FROM rc_02.job) AS new_rows,
       (SELECT count(*) FROM rc_01.job o JOIN rc_02.job n USING (name, id)
         WHERE n.retry_limit = o.retrylimit AND n.priority = o.priority * 10 AND n.state = o.state AND n.data = o.data
           AND n.dead_letter IS NULL AND n.policy = CASE WHEN o.priority > 500 THEN 'high' ELSE 'standard' END) AS computed_rows;
SELECT column_name, data_type, column_default FROM information_schema.columns
 WHERE table_schema = 'rc_02' AND table_name = 'job' ORDER BY ordinal_position;

-- Old version by schema name; new version by search_path and by name.
INSERT INTO rc_01.job (name, retrylimit, priority, data) VALUES ('email', 3, 700, '{"key": "old-1"}');
SET search_path = rc_02;
INSERT INTO job (name, priority, data, dead_letter) VALUES ('push', 50, '{"key": "new-1"}', 'dlq');
UPDATE job SET priority = 990, retry_limit = 9 WHERE id = 1;
RESET search_path;
UPDATE rc_01.job SET priority = 7 WHERE id = 2;
UPDATE rc_01.job SET name = 'email' WHERE id = 7;      -- from sms: moves to partition job_email in the rebuild
DELETE FROM rc_01.job WHERE id = 4;
DELETE FROM rc_02.job WHERE id = 5;
-- pg-boss 10 fails a job by deleting it and inserting it again through the new version, in one
-- statement: a new-version write, whose old columns `down` fills.
WITH failed AS (DELETE FROM rc_02.job WHERE name = 'sms' AND id = 1 RETURNING *)
INSERT INTO rc_02.job (id, name, state, retry_limit, priority, data, policy)
  SELECT id, name, 'active', retry_limit, priority + 1, data, policy FROM failed;
SELECT id, name, retrylimit, priority, on_complete, data ->> 'key' AS key FROM rc_01.job
 WHERE id <= 7 OR id > 1000 ORDER BY id;
SELECT id, name, retry_limit, priority, policy, dead_letter, data ->> 'key' AS key FROM rc_02.job
 WHERE id <= 7 OR id > 1000 ORDER BY id;
SELECT tableoid::regclass AS partition FROM rc._pgshift_rebuild_job WHERE id = 7;
-- The new index holds in the new version, and what the rebuild refuses fails the write in both.
INSERT INTO rc_02.job (name, data) VALUES ('push', '{"key": "new-1"}');
INSERT INTO rc_01.job (name, data) VALUES ('push', '{"key": "new-1"}');
SELECT (SELECT count(*) FROM rc_01.job) AS old_rows, (SELECT count(*) FROM rc_02.job) AS new_rows;

-- Rollback: the table exactly as it was, holding every write of both versions in its own columns.
SELECT pgshift.rollback('rc') ->> 'status';
SELECT pgshift.read_schema('rc') = (SELECT snapshot FROM schema_before) AS schema_unchanged,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'rc'::regnamespace AND relname LIKE '\_pgshift%') AS leftovers,
       (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rc\_02%') AS version_schemas_left;
SELECT id, name, retrylimit, priority, on_complete, data ->> 'key' AS key FROM rc.job WHERE id <= 7 OR id > 1000 ORDER BY id;
SELECT count(*) AS untouched_rows_unchanged FROM rc.job j JOIN rows_before b USING (id)
 WHERE (j.*)::text = (b.*)::text;

-- Start again and complete: the new shape, with every row.
SELECT pgshift.start('rc', :'migration') ->> 'status';
CALL pgshift.wait_for_jobs('rc');
INSERT INTO rc_02.job (name, priority, data) VALUES ('sms', 60, '{"key": "new-2"}');
INSERT INTO rc_01.job (name, priority, data) VALUES ('email', 600, '{"key": "old-2"}');
CREATE TEMP TABLE expected_after AS
  SELECT id, name, state, data, dead_letter, policy, retry_limit, priority FROM rc_02.job;
SELECT pgshift.complete('rc') ->> 'status';
SELECT c.relkind, pg_get_partkeydef(c.oid) AS partition_key,
       (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS primary_key
  FROM pg_class c WHERE c.oid = 'rc.job'::regclass;
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'rc.job'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum;
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) AS definition FROM pg_index
 WHERE indrelid = 'rc.job'::regclass ORDER BY 1::text;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'rc.job'::regclass ORDER BY 1;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'rc.job'::regclass ORDER BY 1;
SELECT (SELECT count(*) FROM expected_after) AS rows_before_complete, (SELECT count(*) FROM rc.job) AS rows_after,
       (SELECT count(*) FROM rc.job j JOIN expected_after e USING (id) WHERE (j.*)::text = (e.*)::text) AS same_rows,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'rc'::regnamespace AND relname LIKE '\_pgshift%') AS leftovers;
SELECT id, name, retry_limit, priority, policy, data ->> 'key' AS key FROM rc.job WHERE data ->> 'key' LIKE '%-2' ORDER BY id;
-- The serial's sequence went with the table: new rows go on numbering.
INSERT INTO rc.job (name) VALUES ('push') RETURNING id > 1000 AS numbered_on, retry_limit, policy;
DROP SCHEMA rc CASCADE;
