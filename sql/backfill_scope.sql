-- A backfill reaches every row or refuses before anything changes, and it changes nothing but
-- pgshift's own columns (issue 10, cases 4 to 6).
\set SHOW_CONTEXT never
CREATE SCHEMA bs;
DO $$ BEGIN CREATE ROLE pgshift_rls_owner LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SELECT format('GRANT CREATE ON DATABASE %I TO pgshift_rls_owner', current_database()) \gexec
ALTER SCHEMA bs OWNER TO pgshift_rls_owner;

-- Row-level security that applies to the migrating role would hide rows from its backfill: with
-- FORCE ROW LEVEL SECURITY even the owner's. start refuses, naming the table and what to do.
CREATE TABLE bs.notes (id int PRIMARY KEY, author text, body text);
INSERT INTO bs.notes SELECT g, CASE WHEN g % 2 = 0 THEN 'pgshift_rls_owner' ELSE 'other' END, 'b' || g FROM generate_series(1, 200) g;
ALTER TABLE bs.notes OWNER TO pgshift_rls_owner;
ALTER TABLE bs.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE bs.notes FORCE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON bs.notes USING (author = current_user);
SET ROLE pgshift_rls_owner;
SELECT pgshift.start('bs', $${"name": "01", "operations": [
  {"add_column": {"table": "notes", "up": "length(body)", "column": {"name": "size", "type": "int", "nullable": true}}}]}$$);
SELECT count(*) AS migrations FROM pgshift.migrations WHERE schema = 'bs';
RESET ROLE;
-- Without FORCE the owner sees every row: the backfill runs and reaches all of them.
ALTER TABLE bs.notes NO FORCE ROW LEVEL SECURITY;
SET ROLE pgshift_rls_owner;
SELECT pgshift.start('bs', $${"name": "01", "operations": [
  {"add_column": {"table": "notes", "up": "length(body)", "column": {"name": "size", "type": "int", "nullable": true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('bs');
RESET ROLE;
SELECT count(*) FILTER (WHERE _pgshift_new_size = length(body)) AS filled, count(*) AS rows FROM bs.notes;
SELECT pgshift.rollback('bs') ->> 'status';
ALTER TABLE bs.notes DISABLE ROW LEVEL SECURITY;

-- The worker connects as the role that starts the jobs: one that cannot log in is told so at once.
DO $$ BEGIN CREATE ROLE pgshift_nologin NOLOGIN IN ROLE pgshift_rls_owner; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SET ROLE pgshift_nologin;
SELECT pgshift.start('bs', $${"name": "01", "operations": [
  {"add_column": {"table": "notes", "up": "length(body)", "column": {"name": "size", "type": "int", "nullable": true}}}]}$$);
RESET ROLE;
SELECT count(*) AS migrations FROM pgshift.migrations WHERE schema = 'bs';

-- Inheritance parents and children, tables with rules: a row trigger and a backfill cannot keep
-- them in step, so start refuses; a partition never appears in a version. A partitioned table is
-- backfilled partition by partition (more in sql/partitions_dual_write.sql).
CREATE TABLE bs.events (id int, at date, body text) PARTITION BY RANGE (at);
CREATE TABLE bs.events_2026 PARTITION OF bs.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO bs.events SELECT g, date '2026-01-01' + g, 'e' || g FROM generate_series(1, 100) g;
CREATE TABLE bs.parent (id int PRIMARY KEY, body text);
CREATE TABLE bs.child (extra text) INHERITS (bs.parent);
CREATE TABLE bs.ruled (id int PRIMARY KEY, body text);
CREATE RULE no_updates AS ON UPDATE TO bs.ruled DO INSTEAD NOTHING;
SELECT pgshift.start('bs', $${"name": "02", "operations": [
  {"add_column": {"table": "events", "up": "upper(body)", "column": {"name": "loud", "type": "text", "nullable": true}}}]}$$)
  ->> 'status';
CALL pgshift.wait_for_jobs('bs');
SELECT count(*) FILTER (WHERE loud = upper(body)) AS loud, count(*) AS events FROM bs_02.events;
SELECT pgshift.rollback('bs') ->> 'status';
SELECT pgshift.start('bs', $${"name": "02", "operations": [
  {"alter_column": {"table": "parent", "column": "body", "type": "varchar(20)", "up": "body", "down": "body"}}]}$$);
SELECT pgshift.start('bs', $${"name": "02", "operations": [
  {"alter_column": {"table": "child", "column": "extra", "type": "varchar(20)", "up": "extra", "down": "extra"}}]}$$);
SELECT pgshift.start('bs', $${"name": "02", "operations": [
  {"alter_column": {"table": "ruled", "column": "body", "type": "varchar(20)", "up": "body", "down": "body"}}]}$$);
SELECT pgshift.start('bs', $${"name": "02", "operations": [
  {"alter_column": {"table": "events_2026", "column": "body", "type": "varchar(20)", "up": "body", "down": "body"}}]}$$);
-- What needs no trigger works on them, and the version shows the partitioned table alone.
SELECT pgshift.start('bs', $${"name": "02", "operations": [
  {"add_column": {"table": "events", "column": {"name": "tag", "type": "text", "nullable": true}}}]}$$) ->> 'status';
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bs_02' ORDER BY 1;
SELECT count(*) AS events FROM bs_02.events;
SELECT pgshift.complete('bs') ->> 'status';

-- A table without a key is backfilled in block ranges; a rewrite of the table between two batches
-- (VACUUM FULL, CLUSTER, pg_repack) moves rows without the trigger, so the backfill starts again
-- from the first block of the new file: no row is missed.
CREATE TABLE bs.loose (v int, pad text);
INSERT INTO bs.loose SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g;
DELETE FROM bs.loose WHERE v % 3 = 0;
ANALYZE bs.loose;   -- batches of 400 rows are then some ten blocks each
SELECT pgshift.start('bs', $${"name": "03", "operations": [
  {"add_column": {"table": "loose", "up": "v * 2", "column": {"name": "doubled", "type": "int", "nullable": true}}}]}$$,
  '{"paused": true, "backfill_batch_size": 400}') ->> 'status';
SELECT sum(pgshift._backfill_batch('bs', '03', 1)) > 0 AS some_rows FROM generate_series(1, 2);
SELECT count(*) FILTER (WHERE _pgshift_new_doubled IS NOT NULL) > 0 AS some_filled,
       count(*) FILTER (WHERE _pgshift_new_doubled IS NULL) > 0 AS some_not FROM bs.loose;
-- The batches went through the first blocks (low v); CLUSTER by v descending puts the rows they did
-- not reach there instead, in a new file.
CREATE INDEX loose_v_desc ON bs.loose (v DESC);
CLUSTER bs.loose USING loose_v_desc;
SELECT count(pgshift._backfill_batch('bs', '03', 1)) > 2 AS more_batches FROM generate_series(1, 100);
SELECT state FROM pgshift.jobs WHERE schema = 'bs' AND kind = 'backfill';
SELECT count(*) FILTER (WHERE _pgshift_new_doubled = v * 2) AS filled, count(*) AS rows FROM bs.loose;
SELECT pgshift.rollback('bs') ->> 'status';

-- The backfill fires none of the table's own triggers: start then rollback leaves every row, and
-- an audit log of its updates, as they were.
CREATE TABLE bs.tasks (id int PRIMARY KEY, title text, updated_at timestamptz NOT NULL DEFAULT '2026-01-01 00:00:00+00');
CREATE TABLE bs.audit (task int, happened text);
CREATE FUNCTION bs.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
CREATE FUNCTION bs.log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO bs.audit VALUES (NEW.id, TG_OP); RETURN NULL; END $$;
CREATE FUNCTION bs.log_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO bs.audit VALUES (NULL, TG_OP || ' statement'); RETURN NULL; END $$;
CREATE TRIGGER a_stamp BEFORE UPDATE ON bs.tasks FOR EACH ROW EXECUTE FUNCTION bs.stamp();
CREATE TRIGGER z_log AFTER UPDATE ON bs.tasks FOR EACH ROW EXECUTE FUNCTION bs.log();
CREATE TRIGGER z_log_statement AFTER UPDATE ON bs.tasks FOR EACH STATEMENT EXECUTE FUNCTION bs.log_statement();
INSERT INTO bs.tasks (id, title) SELECT g, 't' || g FROM generate_series(1, 500) g;
CREATE TABLE bs.tasks_before AS SELECT * FROM bs.tasks;
SELECT pgshift.start('bs', $${"name": "04", "operations": [
  {"alter_column": {"table": "tasks", "column": "title", "type": "varchar(50)", "up": "upper(title)", "down": "lower(title)"}}]}$$,
  '{"backfill_batch_size": 100}') ->> 'status';
CALL pgshift.wait_for_jobs('bs');
SELECT count(*) FILTER (WHERE _pgshift_new_title = upper(title)) AS backfilled FROM bs.tasks;
SELECT count(*) AS audit_rows FROM bs.audit;
SELECT pgshift.rollback('bs') ->> 'status';
SELECT count(*) AS rows_changed FROM bs.tasks t FULL JOIN bs.tasks_before b USING (id)
 WHERE (t.*)::text IS DISTINCT FROM (b.*)::text;
-- The application's own writes still fire them, of course.
UPDATE bs.tasks SET title = 'changed' WHERE id = 1;
SELECT count(*) AS audit_rows FROM bs.audit;
