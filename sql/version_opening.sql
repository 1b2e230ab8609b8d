-- A version whose tables are backfilled opens only when every row has its new values: before
-- that, nobody can read a row without them, nor write over an old value the backfill has not
-- copied yet (issue 10, case 1).
\set SHOW_CONTEXT never
CREATE SCHEMA vo;
SELECT pgshift.start('vo', $${"name": "01", "operations": [
  {"create_table": {"name": "jobs", "columns": [
    {"name": "id", "type": "int", "pk": true},
    {"name": "priority", "type": "text", "default": "'5'"},
    {"name": "note", "type": "text", "nullable": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('vo') ->> 'status';
INSERT INTO vo.jobs SELECT g, (g % 10)::text, 'n' || g FROM generate_series(1, 1000) g;

-- Paused jobs: the backfill moves only when this test runs its batches.
SELECT pgshift.start('vo', $${"name": "02", "operations": [
  {"alter_column": {"table": "jobs", "column": "priority", "type": "integer",
    "up": "CAST(priority AS integer) * 100", "down": "CAST(priority / 100 AS text)"}}]}$$,
  '{"paused": true, "backfill_batch_size": 100}') - 'version_schema';
SELECT step, kind, state FROM pgshift.jobs WHERE schema = 'vo' ORDER BY step;

-- The new version is not there yet: its schema does not exist under its name, and the views it
-- will open with refuse every use under the name they have until then.
SELECT count(*) AS vo_02_exists FROM pg_namespace WHERE nspname = 'vo_02';
SELECT pgshift.latest_version('vo');
SELECT pgshift._pending_name('vo_02') AS pending \gset
SELECT * FROM :"pending".jobs LIMIT 1;
UPDATE :"pending".jobs SET note = 'x' WHERE id = 1;
INSERT INTO :"pending".jobs (id, priority) VALUES (5001, 500);

-- A write to the table that puts the new version first in search_path is an old-version write
-- while that version is not open: it cannot run `down` over a row the backfill has not reached.
SET search_path TO vo_02, vo;
UPDATE jobs SET note = 'touched early' WHERE id = 950;
INSERT INTO jobs (id, priority) VALUES (1001, '7');
RESET search_path;
-- Old-version writes during the backfill compute the new column.
UPDATE vo_01.jobs SET priority = '9' WHERE id = 960;
SELECT id, priority, _pgshift_new_priority FROM vo.jobs WHERE id IN (950, 960, 1001) ORDER BY id;

-- A schema that someone else gives the new version's name before it opens is not the new version:
-- a write through a view of theirs, by a client that put that name first in search_path, is no
-- new-version write (it would have run `down` over rows the backfill has not reached).
CREATE SCHEMA vo_02;
CREATE VIEW vo_02.jobs WITH (security_invoker = true) AS SELECT * FROM vo.jobs;
SET search_path TO vo_02, vo;
UPDATE jobs SET note = 'through a look-alike' WHERE id = 970;
RESET search_path;
SELECT id, priority, _pgshift_new_priority, note FROM vo.jobs WHERE id = 970;
-- ... and the version cannot open under a taken name: the worker's job says why and what to do.
SELECT count(pgshift._backfill_batch('vo', '02', 1)) AS batches FROM generate_series(1, 20);
SELECT pgshift.publish_version('vo', '02');
DROP SCHEMA vo_02 CASCADE;
UPDATE pgshift.jobs SET state = 'pending', rows_done = 0, cursor = NULL WHERE schema = 'vo' AND kind = 'backfill';

-- Half the backfill, then the rest.
SELECT sum(pgshift._backfill_batch('vo', '02', 1)) AS rows FROM generate_series(1, 5);
SELECT pgshift.publish_version('vo', '02');   -- not before the backfill is done
SELECT state, rows_done FROM pgshift.jobs WHERE schema = 'vo' AND kind = 'backfill';
SELECT count(*) FILTER (WHERE _pgshift_new_priority IS NULL) AS not_yet FROM vo.jobs;
SELECT count(pgshift._backfill_batch('vo', '02', 1)) FROM generate_series(1, 20);
SELECT state, rows_done FROM pgshift.jobs WHERE schema = 'vo' AND kind = 'backfill';
-- After the backfill the worker proves the new column's NOT NULL check, and its last job opens
-- the version (here by hand, the jobs being paused).
SELECT statement FROM pgshift.jobs WHERE schema = 'vo' AND kind = 'sql' \gexec
SELECT pgshift.publish_version('vo', '02');
UPDATE pgshift.jobs SET state = 'done' WHERE schema = 'vo' AND kind IN ('sql', 'publish');
SELECT count(*) AS vo_02_exists FROM pg_namespace WHERE nspname = 'vo_02';
SELECT count(*) AS pending_left FROM pg_namespace WHERE nspname = :'pending';
SELECT pgshift.latest_version('vo');

-- Every row reads right through both versions from the moment the new one exists.
SELECT count(*) AS rows, count(*) FILTER (WHERE n.priority IS DISTINCT FROM o.priority::int * 100) AS wrong
  FROM vo_01.jobs o FULL JOIN vo_02.jobs n USING (id);
-- A write through the new version that does not touch the changed column keeps its value.
UPDATE vo_02.jobs SET note = 'new version, other column' WHERE id = 10;
SELECT o.priority AS old, n.priority AS new FROM vo_01.jobs o JOIN vo_02.jobs n USING (id) WHERE id = 10;

SELECT pgshift.complete('vo') ->> 'status';
SELECT id, priority FROM vo.jobs WHERE id IN (10, 950, 960, 1001) ORDER BY id;
SELECT count(*) FILTER (WHERE priority = (id % 10) * 100) AS untouched_right FROM vo.jobs WHERE id NOT IN (960, 1001);

-- Rollback before the version opened drops the pending schema too.
SELECT pgshift.start('vo', $${"name": "03", "operations": [
  {"alter_column": {"table": "jobs", "column": "note", "type": "varchar(40)", "up": "note", "down": "note"}}]}$$,
  '{"paused": true}') ->> 'published' AS published;
SELECT count(*) AS pending_schemas FROM pg_namespace WHERE nspname = pgshift._pending_name('vo_03');
SELECT pgshift.rollback('vo') ->> 'status';
SELECT count(*) AS pending_schemas FROM pg_namespace WHERE nspname = pgshift._pending_name('vo_03');
SELECT count(*) AS pgshift_columns FROM pg_attribute WHERE attrelid = 'vo.jobs'::regclass AND attname LIKE '_pgshift%' AND NOT attisdropped;
