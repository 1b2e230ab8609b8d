-- rebuild_table of a table other tables' foreign keys point at: each key gets a copy onto the
-- rebuild once the rows are copied (NOT VALID, then VALIDATE, by the worker), both hold while both
-- versions live, complete leaves the copy, under the key's name, pointing at the new table, and
-- rollback leaves the keys as they were.
\set SHOW_CONTEXT never
CREATE SCHEMA rr;
SELECT pgshift.start('rr', $${"name": "01", "operations": [
  {"create_table": {"name": "queue", "columns": [{"name": "name", "type": "text", "pk": true},
                                                  {"name": "note", "type": "text", "nullable": true}]}},
  {"create_table": {"name": "job", "columns": [{"name": "id", "type": "serial", "pk": true},
    {"name": "queue", "type": "text", "references": {"name": "job_queue_fkey", "table": "queue", "column": "name", "on_delete": "CASCADE"}}]}},
  {"create_table": {"name": "pin", "columns": [{"name": "id", "type": "serial", "pk": true},
    {"name": "queue", "type": "text", "nullable": true, "references": {"name": "pin_queue_fkey", "table": "queue", "column": "name"}}]}},
  {"create_table": {"name": "node", "columns": [{"name": "id", "type": "int", "pk": true},
    {"name": "parent", "type": "int", "nullable": true, "references": {"name": "node_parent_fkey", "table": "node", "column": "id"}}]}}
  ]}$$) ->> 'status';
SELECT pgshift.complete('rr') ->> 'status';
INSERT INTO rr.queue SELECT 'q' || g FROM generate_series(1, 20) g;
INSERT INTO rr.job (queue) SELECT 'q' || (g % 20 + 1) FROM generate_series(1, 400) g;
INSERT INTO rr.pin (queue) VALUES ('q3');
CREATE TEMP TABLE schema_before AS SELECT pgshift.read_schema('rr') AS snapshot;
-- The foreign keys (PostgreSQL's own per-partition rows of a key to a partitioned table left out).
CREATE VIEW rr_keys AS
  SELECT c.conrelid::regclass AS on_table, c.conname, c.confrelid::regclass AS points_at, c.convalidated
    FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'rr'::regnamespace AND c.conparentid = 0
   ORDER BY 1::text, 2;

-- What the rebuild cannot point at itself is refused, naming the key; nothing changes.
SELECT pgshift.start('rr', $${"name": "bad", "operations": [{"rebuild_table": {"table": "node"}}]}$$);
SELECT pgshift.start('rr', $${"name": "bad", "operations": [{"rebuild_table": {"table": "queue", "primary_key": ["name", "note"]}}]}$$);
-- Nor may a later operation keep a key from following the table.
SELECT pgshift.start('rr', $${"name": "bad", "operations": [{"rebuild_table": {"table": "queue"}},
  {"drop_table": {"name": "pin"}}]}$$);
SELECT pgshift.start('rr', $${"name": "bad", "operations": [{"rebuild_table": {"table": "queue"}},
  {"alter_column": {"table": "job", "column": "queue", "type": "varchar(40)", "up": "queue", "down": "queue"}}]}$$);
SELECT pgshift.start('rr', $${"name": "bad", "operations": [{"rebuild_table": {"table": "queue"}},
  {"rebuild_table": {"table": "pin"}}]}$$);
SELECT pgshift.is_active('rr') AS active, pgshift.read_schema('rr') = (SELECT snapshot FROM schema_before) AS unchanged;

\set migration '{"name": "02", "operations": [{"rebuild_table": {"table": "queue", "partition_by": {"strategy": "hash", "columns": ["name"]}, "partitions": [{"name": "queue_h0", "modulus": 2, "remainder": 0}, {"name": "queue_h1", "modulus": 2, "remainder": 1}]}}]}'
SELECT pgshift.start('rr', :'migration') ->> 'status';
CALL pgshift.wait_for_jobs('rr');
SELECT kind, state, rows_done,
       coalesce(substring(statement FROM 'ALTER TABLE \S+ \w+ CONSTRAINT \S+'), left(statement, 40)) AS statement FROM pgshift.jobs
 WHERE schema = 'rr' AND migration = '02' ORDER BY step;
-- Both keys hold: the original on the table, the validated copy on the rebuild.
SELECT * FROM rr_keys;

-- Writes through both versions: a queue made through the new version takes jobs (it is in both
-- tables); a job of no queue fails; a queue deleted through either version takes its jobs along,
-- and one a pin holds cannot be deleted through either.
INSERT INTO rr_02.queue VALUES ('q-new', 'made by the new version');
INSERT INTO rr_01.job (queue) VALUES ('q-new');
INSERT INTO rr_02.job (queue) VALUES ('q-none');
DELETE FROM rr_02.queue WHERE name = 'q1';
DELETE FROM rr_01.queue WHERE name = 'q2';
DELETE FROM rr_02.queue WHERE name = 'q3';
DELETE FROM rr_01.queue WHERE name = 'q3';
SELECT (SELECT count(*) FROM rr_01.queue) AS old_queues, (SELECT count(*) FROM rr_02.queue) AS new_queues,
       (SELECT count(*) FROM rr.job WHERE queue IN ('q1', 'q2')) AS jobs_of_deleted, (SELECT count(*) FROM rr.job) AS jobs;

-- Rollback: the keys as they were.
SELECT pgshift.rollback('rr') ->> 'status';
SELECT * FROM rr_keys;
SELECT pgshift.read_schema('rr') = (SELECT snapshot FROM schema_before) AS schema_unchanged,
       (SELECT count(*) FROM rr.queue) AS queues;

-- Start again and complete: the keys point at the new table, under their names, validated.
SELECT pgshift.start('rr', :'migration') ->> 'status';
CALL pgshift.wait_for_jobs('rr');
SELECT pgshift.complete('rr') ->> 'status';
SELECT * FROM rr_keys;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'rr.job'::regclass AND contype = 'f' AND conparentid = 0;
SELECT relkind, pg_get_partkeydef(oid) AS partition_key FROM pg_class WHERE oid = 'rr.queue'::regclass;
DELETE FROM rr.queue WHERE name = 'q4';
SELECT (SELECT count(*) FROM rr.job WHERE queue = 'q4') AS jobs_of_q4, (SELECT count(*) FROM rr.job) AS jobs,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'rr'::regnamespace AND relname LIKE '\_pgshift%') AS leftovers;
INSERT INTO rr.job (queue) VALUES ('q-none');
DROP SCHEMA rr CASCADE;
