-- Partitioned tables: create_table with pgshift's "partition_by" and "partitions", create_partition
-- on a live table (attached, never a long lock on the parent), and create_index on a partitioned
-- table (each partition's index built concurrently, then attached).
\set SHOW_CONTEXT never
CREATE SCHEMA pt;
CREATE FUNCTION pg_temp.relations(schema_name text) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(relname || ':' || relkind::text, ' ' ORDER BY relname) FROM pg_class
   WHERE relnamespace = schema_name::regnamespace AND relkind IN ('r', 'p', 'i', 'I') $$;

-- LIST by queue name, with a default partition; the key includes the partition key.
SELECT pgshift.start('pt', $${"name": "01", "operations": [
  {"create_table": {"name": "job", "columns": [
      {"name": "id", "type": "bigint"}, {"name": "name", "type": "text"},
      {"name": "payload", "type": "jsonb", "nullable": true}],
    "constraints": [{"name": "job_pkey", "type": "primary_key", "columns": ["name", "id"]}],
    "partition_by": {"strategy": "list", "columns": ["name"]},
    "partitions": [{"name": "job_email", "values": ["'email'"]},
                   {"name": "job_sms", "values": ["'sms'", "'text'"]},
                   {"name": "job_other", "default": true}]}}]}$$) ->> 'status' AS started;
SELECT pg_get_partkeydef('pt.job'::regclass) AS partition_key;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'pt.job'::regclass ORDER BY 1;
INSERT INTO pt_01.job (id, name) VALUES (1, 'email'), (2, 'sms'), (3, 'text'), (4, 'push');
SELECT tableoid::regclass AS partition, id, name FROM pt.job ORDER BY id;
-- The version schema shows the partitioned table only.
SELECT table_name FROM information_schema.views WHERE table_schema = 'pt_01' ORDER BY 1;
SELECT pgshift.complete('pt') ->> 'status';
SELECT (pgshift.read_schema('pt') -> 'tables' -> 'job' ->> 'partitioned') AS partitioned,
       (pgshift.read_schema('pt') -> 'tables' -> 'job_sms' ->> 'partitionOf') AS sms_partition_of;

-- RANGE and HASH; rollback takes them away again.
SELECT pgshift.start('pt', $${"name": "02", "operations": [
  {"create_table": {"name": "events", "columns": [{"name": "at", "type": "date"}, {"name": "what", "type": "text"}],
    "partition_by": {"strategy": "range", "columns": ["at"]},
    "partitions": [{"name": "events_old", "from": ["MINVALUE"], "to": ["'2026-01-01'"]},
                   {"name": "events_2026", "from": ["'2026-01-01'"], "to": ["'2027-01-01'"]}]}},
  {"create_table": {"name": "buckets", "columns": [{"name": "k", "type": "int", "pk": true}],
    "partition_by": {"strategy": "hash", "columns": ["k"]},
    "partitions": [{"name": "buckets_0", "modulus": 2, "remainder": 0}, {"name": "buckets_1", "modulus": 2, "remainder": 1}]}}]}$$)
  ->> 'status' AS started;
INSERT INTO pt_02.events VALUES ('2025-05-05', 'old'), ('2026-05-05', 'new');
INSERT INTO pt_02.buckets SELECT generate_series(1, 10);
SELECT tableoid::regclass AS partition, what FROM pt.events ORDER BY at;
SELECT count(DISTINCT tableoid) AS hash_partitions_used, count(*) AS rows FROM pt.buckets;
SELECT pgshift.rollback('pt') ->> 'status';
SELECT pg_temp.relations('pt') AS relations_after_rollback;

-- Bad input is refused before anything changes, naming the problem.
CREATE TEMP TABLE before_bad AS SELECT pgshift.read_schema('pt') AS snapshot;
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "id", "type": "int", "pk": true}, {"name": "k", "type": "text"}],
  "partition_by": {"strategy": "list", "columns": ["k"]}}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
  "partition_by": {"strategy": "list", "columns": ["a", "b"]}}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "list", "columns": ["nope"]}}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "list", "columns": ["a"]},
  "partitions": [{"name": "t1", "from": ["1"], "to": ["2"]}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "text"}], "partition_by": {"strategy": "list", "columns": ["a"]},
  "partitions": [{"name": "t1", "values": ["active"]}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "list", "columns": ["a"]},
  "partitions": [{"name": "t1", "values": ["1); DROP TABLE pt.job; --"]}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "hash", "columns": ["a"]},
  "partitions": [{"name": "t1", "modulus": 2, "remainder": 2}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "hash", "columns": ["a"]},
  "partitions": [{"name": "t1", "default": true}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partitions": [{"name": "t1", "default": true}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "list", "columns": ["a"]},
  "partitions": [{"name": "t1", "values": ["1"], "default": true}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "list", "columns": ["a"]},
  "partitions": [{"name": "t1", "values": ["1"]}, {"name": "t1", "values": ["2"]}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "a", "type": "int"}], "partition_by": {"strategy": "list", "columns": ["a"]},
  "partitions": [{"name": "t1", "values": ["1"]}, {"name": "t2", "values": ["1"]}]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_partition": {"table": "job_email", "name": "x", "values": ["'x'"]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_partition": {"table": "job", "name": "job_sms", "values": ["'x'"]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_partition": {"table": "job", "name": "job_x", "modulus": 3, "remainder": 0}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_partition": {"table": "job", "name": "job_x", "values": ["'email'"]}}]}$$);
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"create_partition": {"table": "job", "name": "job_x", "modulus": "3"}}]}$$);
SELECT pgshift.is_active('pt') AS active, pgshift.read_schema('pt') = (SELECT snapshot FROM before_bad) AS unchanged;

-- create_partition on a live table: made as a table and attached, so start holds SHARE UPDATE
-- EXCLUSIVE on the parent (applications go on reading and writing), never ACCESS EXCLUSIVE.
CREATE TEMP TABLE before_partition AS SELECT pgshift.read_schema('pt') AS snapshot;
-- A row for the new partition's values waits in the default partition: the attach is refused and
-- nothing changes.
SELECT pgshift.start('pt', $${"name": "03", "operations": [
  {"create_partition": {"table": "job", "name": "job_push", "values": ["'push'"]}}]}$$);
SELECT pgshift.is_active('pt') AS active, pgshift.read_schema('pt') = (SELECT snapshot FROM before_partition) AS unchanged;
BEGIN;
SELECT pgshift.start('pt', $${"name": "03", "operations": [
  {"create_partition": {"table": "job", "name": "job_web", "values": ["'web'", "'app'"]}}]}$$) ->> 'status' AS started;
SELECT string_agg(mode, ', ' ORDER BY mode) AS locks_on_parent FROM pg_locks
 WHERE relation = 'pt.job'::regclass AND pid = pg_backend_pid() AND granted;
COMMIT;
SELECT pg_get_expr(relpartbound, oid) AS bound, relispartition FROM pg_class WHERE oid = 'pt.job_web'::regclass;
-- Both versions write to it (a partition is storage, not schema) and read what the other wrote.
INSERT INTO pt_01.job (id, name) VALUES (10, 'web');
INSERT INTO pt_03.job (id, name) VALUES (11, 'app');
SELECT tableoid::regclass AS partition, id FROM pt.job WHERE id >= 10 ORDER BY id;
SELECT count(*) AS rows_seen_by_new FROM pt_03.job WHERE id >= 10;
-- Rolling back would drop those rows: refused, and the migration stays as it was.
SELECT pgshift.rollback('pt');
SELECT pgshift.is_active('pt') AS active, count(*) AS rows_kept FROM pt.job_web;
DELETE FROM pt_03.job WHERE id >= 10;
SELECT pgshift.rollback('pt') ->> 'status';
SELECT pgshift.read_schema('pt') = (SELECT snapshot FROM before_partition) AS unchanged_after_rollback;
-- Start again and complete: the partition stays.
SELECT pgshift.start('pt', $${"name": "03", "operations": [
  {"create_partition": {"table": "job", "name": "job_web", "values": ["'web'", "'app'"]}},
  {"create_partition": {"table": "job", "name": "job_batch", "values": ["'batch'"]}}]}$$) ->> 'status' AS started;
SELECT pgshift.complete('pt') ->> 'status';
INSERT INTO pt_03.job (id, name) VALUES (12, 'batch');
SELECT tableoid::regclass AS partition FROM pt.job WHERE id = 12;

-- create_index on a live partitioned table: the parent's index ON ONLY the parent at start (a SHARE
-- lock on the parent only, for start's transaction), each partition's built concurrently by the
-- worker and attached; the parent's index is valid once the last is attached.
INSERT INTO pt.job (id, name, payload) SELECT g, (ARRAY['email', 'sms', 'web', 'push'])[g % 4 + 1], jsonb_build_object('n', g)
  FROM generate_series(100, 2000) g;
CREATE TEMP TABLE before_index AS SELECT pgshift.read_schema('pt') AS snapshot;
BEGIN;
SELECT pgshift.start('pt', $${"name": "04", "operations": [
  {"create_index": {"name": "job_by_payload", "table": "job", "columns": [{"expression": "(payload ->> 'n')"}],
    "predicate": "payload IS NOT NULL"}}]}$$) ->> 'jobs' AS jobs;
SELECT string_agg(c.relname || ' ' || l.mode, ', ' ORDER BY c.relname, l.mode) AS strong_locks FROM pg_locks l
  JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'pt'::regnamespace AND l.mode NOT IN ('AccessShareLock', 'RowExclusiveLock');
COMMIT;
CALL pgshift.wait_for_jobs('pt');
SELECT state, count(*) FROM pgshift.jobs WHERE schema = 'pt' AND migration = '04' GROUP BY state;
SELECT indisvalid AS parent_index_valid FROM pg_index WHERE indexrelid = 'pt.job_by_payload'::regclass;
SELECT c.relname AS attached_index, t.relname AS on_partition FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_index x ON x.indexrelid = c.oid JOIN pg_class t ON t.oid = x.indrelid
 WHERE i.inhparent = 'pt.job_by_payload'::regclass ORDER BY 1;
SET enable_seqscan = off;
SELECT count(*) AS found_by_index FROM pt_04.job WHERE payload ->> 'n' = '777' AND payload IS NOT NULL;
RESET enable_seqscan;
SELECT pgshift.rollback('pt') ->> 'status';
SELECT pgshift.read_schema('pt') = (SELECT snapshot FROM before_index) AS unchanged_after_rollback,
       pg_temp.relations('pt') AS relations;
SELECT pgshift.start('pt', $${"name": "04", "operations": [
  {"create_index": {"name": "job_by_payload", "table": "job", "columns": [{"expression": "(payload ->> 'n')"}]}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('pt');
SELECT pgshift.complete('pt') ->> 'status';
SELECT pg_get_indexdef('pt.job_by_payload'::regclass);
SELECT count(*) AS partition_indexes FROM pg_inherits WHERE inhparent = 'pt.job_by_payload'::regclass;
-- A unique index must contain the partition key, as PostgreSQL says at start.
SELECT pgshift.start('pt', $${"name": "05", "operations": [
  {"create_index": {"name": "job_id_unique", "table": "job", "unique": true, "columns": [{"column": "id"}]}}]}$$);
SELECT pgshift.is_active('pt') AS active;
-- Partitions that are partitioned themselves are refused for now.
CREATE TABLE pt.job_nested PARTITION OF pt.job FOR VALUES IN ('nested') PARTITION BY LIST (id);
SELECT pgshift.start('pt', $${"name": "05", "operations": [
  {"create_index": {"name": "job_name_id", "table": "job", "columns": [{"column": "id"}]}}]}$$);

-- detach_partition: both versions keep seeing its rows until complete, which detaches it (and drops
-- it, with "drop": true); rollback has nothing to undo.
INSERT INTO pt.job (id, name) VALUES (3000, 'web'), (3001, 'batch');
CREATE TEMP TABLE before_detach AS SELECT pgshift.read_schema('pt') AS snapshot;
SELECT pgshift.start('pt', $${"name": "05", "operations": [
  {"detach_partition": {"table": "job", "name": "job_sms"}}]}$$) ->> 'status';
SELECT pgshift.rollback('pt') ->> 'status';
SELECT pgshift.read_schema('pt') = (SELECT snapshot FROM before_detach) AS unchanged_after_rollback;
SELECT pgshift.start('pt', $${"name": "bad", "operations": [{"detach_partition": {"table": "job", "name": "job_nope"}}]}$$);
SELECT pgshift.start('pt', $${"name": "05", "operations": [
  {"detach_partition": {"table": "job", "name": "job_batch"}},
  {"detach_partition": {"table": "job", "name": "job_web", "drop": true}},
  {"detach_partition": {"table": "job", "name": "job_nested", "drop": true}}]}$$) ->> 'status';
SELECT count(*) FILTER (WHERE id IN (3000, 3001)) AS detached_rows_seen_by_old FROM pt_04.job;
SELECT count(*) FILTER (WHERE id IN (3000, 3001)) AS detached_rows_seen_by_new FROM pt_05.job;
SELECT pgshift.complete('pt') ->> 'status';
SELECT relname, relispartition FROM pg_class WHERE relname IN ('job_batch', 'job_web', 'job_nested') AND relnamespace = 'pt'::regnamespace;
SELECT id, name FROM pt.job_batch WHERE id = 3001;
SELECT count(*) FILTER (WHERE id IN (3000, 3001)) AS detached_rows_in_table FROM pt.job;
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'pt.job'::regclass ORDER BY 1;
-- The table's index stays valid: every partition left has its index.
SELECT indisvalid FROM pg_index WHERE indexrelid = 'pt.job_by_payload'::regclass;
