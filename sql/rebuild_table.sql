-- rebuild_table: a live table becomes a new physical table of another shape (here LIST-partitioned
-- by queue name, with the key (name, id)) while both versions read and write; rollback leaves the
-- table exactly as it was, complete leaves the new shape with every row.
\set SHOW_CONTEXT never
CREATE SCHEMA rb;
CREATE ROLE rb_reader;
SELECT pgshift.start('rb', $${"name": "01", "operations": [
  {"create_table": {"name": "queue", "columns": [{"name": "name", "type": "text", "pk": true}]}},
  {"create_table": {"name": "job", "columns": [
    {"name": "id", "type": "serial", "pk": true},
    {"name": "name", "type": "text", "references": {"name": "job_queue_fk", "table": "queue", "column": "name"}},
    {"name": "state", "type": "text", "default": "'created'", "check": {"name": "job_state_known", "constraint": "state IN ('created', 'active', 'done')"}},
    {"name": "data", "type": "jsonb", "nullable": true, "comment": "what the job carries"}]}}]}$$) ->> 'status';
SELECT pgshift.complete('rb') ->> 'status';
CREATE INDEX job_state_idx ON rb.job (state) WHERE state <> 'done';
CREATE UNIQUE INDEX job_name_data_key ON rb.job (name, (data ->> 'key'));
GRANT USAGE ON SCHEMA rb TO rb_reader;
GRANT SELECT ON rb.job TO rb_reader;
COMMENT ON TABLE rb.job IS 'the jobs';
INSERT INTO rb.queue VALUES ('email'), ('sms'), ('push');
INSERT INTO rb_01.job (name, state, data)
  SELECT (ARRAY['email', 'sms', 'push'])[g % 3 + 1], CASE WHEN g % 5 = 0 THEN 'done' ELSE 'created' END, jsonb_build_object('key', g)
    FROM generate_series(1, 1000) g;
CREATE TEMP TABLE schema_before AS SELECT pgshift.read_schema('rb') AS snapshot;
CREATE TEMP TABLE acl_before AS SELECT relacl::text AS acl, obj_description('rb.job'::regclass, 'pg_class') AS comment
  FROM pg_class WHERE oid = 'rb.job'::regclass;

-- What the rebuild cannot do yet is refused, with nothing changed.
SELECT pgshift.start('rb', $${"name": "bad", "operations": [{"rebuild_table": {"table": "job",
  "partition_by": {"strategy": "list", "columns": ["name"]}}}]}$$);
SELECT pgshift.start('rb', $${"name": "bad", "operations": [{"rebuild_table": {"table": "job", "primary_key": ["name", "id"],
  "partition_by": {"strategy": "list", "columns": ["state"]}}}]}$$);
SELECT pgshift.start('rb', $${"name": "bad", "operations": [
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}},
  {"create_constraint": {"table": "job", "name": "x", "type": "check", "columns": ["state"], "check": "state <> ''", "up": {"state": "state"}, "down": {"state": "state"}}}]}$$);
SELECT pgshift.start('rb', $${"name": "bad", "operations": [
  {"add_column": {"table": "job", "column": {"name": "x", "type": "int", "nullable": true}, "up": "1"}},
  {"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}}]}$$);
CREATE FUNCTION rb.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER stamp BEFORE UPDATE ON rb.job FOR EACH ROW EXECUTE FUNCTION rb.stamp();
SELECT pgshift.start('rb', $${"name": "bad", "operations": [{"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}}]}$$);
DROP TRIGGER stamp ON rb.job;
-- The new key must keep the rows the old key tells apart, and be NOT NULL.
SELECT pgshift.start('rb', $${"name": "bad", "operations": [{"rebuild_table": {"table": "job", "primary_key": ["name"],
  "partition_by": {"strategy": "list", "columns": ["name"]}}}]}$$);
SELECT pgshift.start('rb', $${"name": "bad", "operations": [{"rebuild_table": {"table": "job", "primary_key": ["data", "id"]}}]}$$);
SELECT pgshift.is_active('rb') AS active, pgshift.read_schema('rb') = (SELECT snapshot FROM schema_before) AS unchanged;

-- Start: the rebuild is made, filled by the worker and kept in step.
SELECT pgshift.start('rb', $${"name": "02", "operations": [{"rebuild_table": {"table": "job",
  "primary_key": ["name", "id"],
  "partition_by": {"strategy": "list", "columns": ["name"]},
  "partitions": [{"name": "job_email", "values": ["'email'"]}, {"name": "job_sms", "values": ["'sms'"]},
                 {"name": "job_rest", "default": true}]}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('rb');
SELECT kind, state, rows_done FROM pgshift.jobs WHERE schema = 'rb' AND migration = '02' ORDER BY step;
SELECT (SELECT count(*) FROM rb_01.job) AS old_rows, (SELECT count(*) FROM rb_02.job) AS new_rows,
       (SELECT count(*) FROM rb_01.job o JOIN rb_02.job n USING (id) WHERE (o.*)::text = (n.*)::text) AS same_rows;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'rb._pgshift_rebuild_job'::regclass ORDER BY 1;

-- Writes through both versions, each seen by the other.
INSERT INTO rb_01.job (name, data) VALUES ('email', '{"key": "old-1"}');
INSERT INTO rb_02.job (name, data) VALUES ('push', '{"key": "new-1"}');
UPDATE rb_01.job SET state = 'active' WHERE id = 1;
UPDATE rb_02.job SET state = 'done' WHERE id = 2;
UPDATE rb_01.job SET name = 'email' WHERE id = 3;                  -- moves to partition job_email
DELETE FROM rb_01.job WHERE id = 4;
DELETE FROM rb_02.job WHERE id = 5;
SELECT id, name, state, data ->> 'key' AS key FROM rb_02.job WHERE id IN (1, 2, 3, 4, 5) OR data ->> 'key' LIKE '%-1' ORDER BY id;
SELECT (SELECT count(*) FROM rb_01.job) AS old_rows, (SELECT count(*) FROM rb_02.job) AS new_rows,
       (SELECT count(*) FROM rb_01.job o JOIN rb_02.job n USING (id) WHERE (o.*)::text = (n.*)::text) AS same_rows;
SELECT tableoid::regclass AS partition FROM rb._pgshift_rebuild_job WHERE id = 3;
-- A row the old table cannot hold (its key is id alone) fails the write in both.
INSERT INTO rb_02.job (id, name) VALUES (6, 'sms');
SELECT count(*) AS rows_with_id_6 FROM rb_02.job WHERE id = 6;
-- Constraints hold on both sides.
INSERT INTO rb_02.job (name, state) VALUES ('nope', 'created');
INSERT INTO rb_01.job (name, state) VALUES ('sms', 'lost');

-- An upsert that conflicts writes nothing, so nothing is mirrored; one that updates is mirrored.
INSERT INTO rb_01.job (id, name, state) VALUES (7, 'sms', 'done') ON CONFLICT (id) DO NOTHING;
INSERT INTO rb_01.job (id, name, state) VALUES (8, 'email', 'done') ON CONFLICT (id) DO UPDATE SET state = 'active';
-- A row moved to another partition through the new version: the old table gets the move.
UPDATE rb_02.job SET name = 'sms' WHERE id = 9;
SELECT o.id, o.name, o.state, n.name AS new_name, n.state AS new_state
  FROM rb_01.job o JOIN rb_02.job n USING (id) WHERE id IN (7, 8, 9) ORDER BY id;
-- TRUNCATE would empty one table of the two: refused on both.
TRUNCATE rb.job;
TRUNCATE rb._pgshift_rebuild_job;
TRUNCATE rb.job_sms;
SELECT (SELECT count(*) FROM rb_01.job) AS old_rows, (SELECT count(*) FROM rb_02.job) AS new_rows,
       (SELECT count(*) FROM rb_01.job o JOIN rb_02.job n USING (id) WHERE (o.*)::text = (n.*)::text) AS same_rows;
-- pgshift.rebuild_sync() in a trigger of someone else's writes nothing (it would write as the
-- tables' owner): not pgshift's trigger name, not a table and its rebuild.
CREATE TABLE rb.mine (name text);
INSERT INTO rb.mine VALUES ('x');
CREATE TRIGGER "~pgshift_rebuild_sync" AFTER UPDATE ON rb.mine FOR EACH ROW
  EXECUTE FUNCTION pgshift.rebuild_sync('rb.queue', 'ignore-missing', '1', 'name', 'name');
UPDATE rb.mine SET name = 'email';
CREATE TRIGGER other_name AFTER UPDATE ON rb.mine FOR EACH ROW
  EXECUTE FUNCTION pgshift.rebuild_sync('rb._pgshift_rebuild_job', 'ignore-missing', '1', 'name', 'name');
UPDATE rb.mine SET name = 'email';
DROP TABLE rb.mine;
SELECT count(*) AS queues FROM rb.queue;

-- Rollback: the table exactly as it was, with the rows the old version wrote.
SELECT pgshift.rollback('rb') ->> 'status';
SELECT pgshift.read_schema('rb') = (SELECT snapshot FROM schema_before) AS schema_unchanged;
SELECT relname FROM pg_class WHERE relnamespace = 'rb'::regnamespace AND (relname LIKE '\_pgshift%' OR relname IN ('job_email', 'job_sms', 'job_rest'));
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgname = '~pgshift_rebuild_sync';
SELECT count(*) AS rows, count(*) FILTER (WHERE data ->> 'key' LIKE '%-1') AS written_during FROM rb.job;

-- A row the copy has not reached yet, given a key past the copy's end: the trigger copies it.
SELECT pgshift.start('rb', $${"name": "02", "operations": [{"rebuild_table": {"table": "job", "primary_key": ["name", "id"]}}]}$$,
  '{"paused": true, "backfill_batch_size": 100}') ->> 'status';
SELECT pgshift._backfill_batch('rb', '02', 1) AS copied_rows;
UPDATE rb_01.job SET id = 500000 WHERE id = 600;
DELETE FROM rb_01.job WHERE id = 601;
DO $$ BEGIN WHILE pgshift._backfill_batch('rb', '02', 1) IS NOT NULL LOOP END LOOP; END $$;
SELECT (SELECT count(*) FROM rb.job) AS old_rows, (SELECT count(*) FROM rb._pgshift_rebuild_job) AS rebuilt_rows,
       (SELECT count(*) FROM rb._pgshift_rebuild_job WHERE id IN (600, 601)) AS stale_rows,
       (SELECT count(*) FROM rb._pgshift_rebuild_job WHERE id = 500000) AS moved_row;
SELECT pgshift.rollback('rb') ->> 'status';
UPDATE rb.job SET id = 600 WHERE id = 500000;

-- Start again, write, complete: the new shape, under the old names, with every row.
SELECT pgshift.start('rb', $${"name": "02", "operations": [{"rebuild_table": {"table": "job",
  "primary_key": ["name", "id"],
  "partition_by": {"strategy": "list", "columns": ["name"]},
  "partitions": [{"name": "job_email", "values": ["'email'"]}, {"name": "job_sms", "values": ["'sms'"]},
                 {"name": "job_rest", "default": true}]}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('rb');
INSERT INTO rb_01.job (name, data) VALUES ('sms', '{"key": "old-2"}');
CREATE TEMP TABLE rows_before_complete AS SELECT * FROM rb_02.job;
-- An index the table got after start has no copy on the rebuild: complete refuses, nothing changes.
CREATE INDEX job_late ON rb.job (data);
SELECT pgshift.complete('rb') ->> 'status';
SELECT pgshift.is_active('rb') AS still_active;
DROP INDEX rb.job_late;
SELECT pgshift.complete('rb') ->> 'status';
SELECT pg_get_partkeydef('rb.job'::regclass) AS partition_key, relkind FROM pg_class WHERE oid = 'rb.job'::regclass;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'rb.job'::regclass ORDER BY conname;
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'rb.job'::regclass ORDER BY 1;
SELECT relacl::text = (SELECT acl FROM acl_before) AS same_privileges,
       obj_description(oid, 'pg_class') = (SELECT comment FROM acl_before) AS same_comment,
       col_description(oid, 4) AS data_comment
  FROM pg_class WHERE oid = 'rb.job'::regclass;
SELECT pg_get_serial_sequence('rb.job', 'id') AS sequence;
SELECT (SELECT count(*) FROM rb.job) AS rows, (SELECT count(*) FROM rows_before_complete r JOIN rb.job j USING (name, id)
        WHERE (r.*)::text = (j.*)::text) AS same_rows;
INSERT INTO rb_02.job (name) VALUES ('sms') RETURNING id > 1000 AS id_from_the_same_sequence;
SELECT relname FROM pg_class WHERE relnamespace = 'rb'::regnamespace AND relname LIKE '\_pgshift%';
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgname = '~pgshift_rebuild_sync';
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rb\_%' ORDER BY 1;
SET ROLE rb_reader;
SELECT count(*) > 0 AS reader_reads FROM rb.job;
RESET ROLE;
DROP SCHEMA rb, rb_02 CASCADE;
DROP OWNED BY rb_reader;
DROP ROLE rb_reader;
