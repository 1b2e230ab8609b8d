-- Nobody gains rights through pgshift (issue 11). Two tenants own a schema each in one database:
-- each migrates its own and nothing of the other's; nobody writes pgshift's tables but its API;
-- what a migration runs, it runs as the role that started it, even when a superuser completes or
-- rolls it back; schema names that need quotes work; DDL capture lets every role run DDL.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DO $$ BEGIN CREATE ROLE pgshift_tenant_a LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE pgshift_tenant_b LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE pgshift_a_dev LOGIN IN ROLE pgshift_tenant_a; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE pgshift_outsider LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
RESET client_min_messages;
SELECT format('GRANT CREATE ON DATABASE %I TO pgshift_tenant_a, pgshift_tenant_b', current_database()) \gexec
CREATE SCHEMA "Tenant A" AUTHORIZATION pgshift_tenant_a;   -- a name that needs quotes
CREATE SCHEMA tenant_b AUTHORIZATION pgshift_tenant_b;
CREATE TABLE tenant_b_log (who text, what text);           -- what ran, and as whom
GRANT INSERT ON tenant_b_log TO PUBLIC;

SET ROLE pgshift_tenant_a;
SELECT pgshift.start('Tenant A', $${"name": "01", "operations": [{"create_table": {"name": "items", "columns": [
  {"name": "id", "type": "int", "pk": true}, {"name": "label", "type": "text"}]}}]}$$) ->> 'version_schema';
SELECT pgshift.complete('Tenant A') ->> 'status';
INSERT INTO "Tenant A".items SELECT g, 'item ' || g FROM generate_series(1, 50) g;
RESET ROLE;
SET ROLE pgshift_tenant_b;
SELECT pgshift.start('tenant_b', $${"name": "01", "operations": [{"create_table": {"name": "notes", "columns": [
  {"name": "id", "type": "int", "pk": true}, {"name": "body", "type": "text"}]}}]}$$) ->> 'status';
SELECT pgshift.complete('tenant_b') ->> 'status';
INSERT INTO tenant_b.notes SELECT g, 'note ' || g FROM generate_series(1, 50) g;
RESET ROLE;

-- Both migrate at once, each with a backfill the worker runs as that tenant.
SET ROLE pgshift_tenant_a;
SELECT pgshift.start('Tenant A', $${"name": "02", "operations": [{"add_column": {"table": "items", "up": "upper(label)",
  "column": {"name": "shout", "type": "text", "nullable": true}}}]}$$, '{"paused": true}') ->> 'status';
RESET ROLE;
SET ROLE pgshift_tenant_b;
SELECT pgshift.start('tenant_b', $${"name": "02", "operations": [
  {"add_column": {"table": "notes", "up": "length(body)", "column": {"name": "size", "type": "int", "nullable": true}}}]}$$,
  '{"paused": true}') ->> 'status';
RESET ROLE;

-- What each sees of pgshift's state: the schemas it may use, no more.
SET ROLE pgshift_tenant_a;
SELECT DISTINCT schema FROM pgshift.migrations ORDER BY 1;
SELECT DISTINCT schema FROM pgshift.jobs ORDER BY 1;
SELECT DISTINCT schema FROM pgshift.backfill_progress ORDER BY 1;
-- Nobody writes pgshift's tables but its API.
UPDATE pgshift.migrations SET plan = '{}' WHERE schema = 'tenant_b';
INSERT INTO pgshift.migrations (schema, name, migration) VALUES ('tenant_b', 'evil', '{"operations": []}');
UPDATE pgshift.jobs SET statement = 'ALTER ROLE pgshift_tenant_a SUPERUSER';
DELETE FROM pgshift.jobs;
-- Nor acts on the other's migration.
SELECT pgshift.complete('tenant_b');
SELECT pgshift.rollback('tenant_b');
SELECT pgshift.backfill_resume('tenant_b');
SELECT pgshift.backfill_pause('tenant_b');
SELECT pgshift.backfill_configure('tenant_b', 10);
SELECT pgshift.ensure_worker('tenant_b');
SELECT pgshift.publish_version('tenant_b', '02');
SELECT pgshift.refresh_version_views('tenant_b');
SELECT pgshift.baseline('tenant_b', 'evil');
SELECT pgshift.start('tenant_b', '{"name": "03", "operations": []}');
-- Nor calls what is behind the API.
SELECT pgshift._start('pgshift_tenant_b', 'tenant_b', '{"name": "03", "operations": []}', '{}');
SELECT pgshift._rollback('pgshift_tenant_b', 'tenant_b');
SELECT pgshift._run_as('pgshift_tenant_b', 'SELECT 1', 'tenant_b', NULL);
SELECT pgshift._launch_worker('tenant_b', 'pgshift_tenant_b');
SELECT pgshift._stop_jobs('tenant_b');
SELECT pgshift._backfill_batch('tenant_b', '02', 1);
RESET ROLE;
-- A role that may use neither schema sees nothing, and may do nothing.
SET ROLE pgshift_outsider;
SELECT count(*) AS migrations_seen FROM pgshift.migrations;
SELECT pgshift.rollback('Tenant A');
RESET ROLE;
SELECT count(*) AS untouched FROM pgshift.migrations WHERE schema = 'tenant_b' AND name = '02' AND plan <> '{}';

-- A member of the owner may act for it; the backfills run, each as its tenant.
SET ROLE pgshift_a_dev;
SELECT pgshift.backfill_resume('Tenant A') AS worker_started;
RESET ROLE;
SET ROLE pgshift_tenant_b;
SELECT pgshift.backfill_resume('tenant_b') AS worker_started;
CALL pgshift.wait_for_jobs('tenant_b');
RESET ROLE;
SET ROLE pgshift_tenant_a;
CALL pgshift.wait_for_jobs('Tenant A');
SELECT count(*) FILTER (WHERE shout = upper(label)) AS backfilled FROM "Tenant A_02".items;
SELECT pgshift.complete('Tenant A') ->> 'status';
RESET ROLE;
SELECT role::text, name FROM pgshift.migrations WHERE schema IN ('Tenant A', 'tenant_b') ORDER BY schema, seq;

SELECT pgshift.complete('tenant_b') ->> 'status';
RESET ROLE;

-- B leaves SQL for a superuser to run at rollback, trying to become one: it runs as B, and neither
-- ALTER ROLE nor RESET ROLE (back to the superuser rolling back) gets B anywhere.
SET ROLE pgshift_tenant_b;
SELECT pgshift.start('tenant_b', $${"name": "03", "operations": [{"sql": {
  "up": "INSERT INTO public.tenant_b_log VALUES (current_user, 'up')",
  "down": "DO $do$ BEGIN INSERT INTO public.tenant_b_log VALUES (current_user, 'down'); BEGIN RESET ROLE; EXCEPTION WHEN OTHERS THEN INSERT INTO public.tenant_b_log VALUES (current_user, SQLERRM); END; BEGIN ALTER ROLE pgshift_tenant_b SUPERUSER; EXCEPTION WHEN OTHERS THEN INSERT INTO public.tenant_b_log VALUES (current_user, SQLERRM); END; END $do$"}}]}$$) ->> 'status';
RESET ROLE;
SELECT pgshift.rollback('tenant_b') ->> 'status';
SELECT rolsuper AS b_became_superuser FROM pg_roles WHERE rolname = 'pgshift_tenant_b';
SELECT who, what FROM tenant_b_log ORDER BY what;

-- A role that lost its right to migrate the schema: nobody can act as it on its migration, and its
-- worker stops, saying why.
SET ROLE pgshift_a_dev;
SELECT pgshift.start('Tenant A', $${"name": "03", "operations": [
  {"add_column": {"table": "items", "up": "length(label)", "column": {"name": "size", "type": "int", "nullable": true}}}]}$$,
  '{"paused": true}') ->> 'status';
RESET ROLE;
REVOKE pgshift_tenant_a FROM pgshift_a_dev;
SET ROLE pgshift_a_dev;
SELECT pgshift.backfill_resume('Tenant A');
RESET ROLE;
SELECT pgshift.backfill_resume('Tenant A');
SELECT pgshift.complete('Tenant A');
SELECT pgshift.rollback('Tenant A');
-- (It starts when this commits, to find its role's right gone.)
GRANT pgshift_tenant_a TO pgshift_a_dev;
BEGIN;
SET LOCAL ROLE pgshift_a_dev;
SELECT pgshift.backfill_resume('Tenant A') AS worker_started;
RESET ROLE;
REVOKE pgshift_tenant_a FROM pgshift_a_dev;
COMMIT;
CALL pgshift.wait_for_jobs('Tenant A');   -- says so too
DO $$ BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN EXISTS (SELECT FROM pgshift.jobs WHERE schema = 'Tenant A' AND migration = '03' AND state = 'failed');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT step, kind, state, error FROM pgshift.jobs WHERE schema = 'Tenant A' AND migration = '03' ORDER BY step;
SELECT count(*) FILTER (WHERE _pgshift_new_size IS NOT NULL) AS rows_backfilled FROM "Tenant A".items;
GRANT pgshift_tenant_a TO pgshift_a_dev;
SELECT pgshift.rollback('Tenant A') ->> 'status';

-- The settings a migration's SQL changes go with it: no search_path of its choosing is left for
-- what runs as the extension's owner after it (start's own statements), for the worker's own
-- statements after a batch, or for the session of a superuser who completes or rolls back.
DELETE FROM public.tenant_b_log;
SET ROLE pgshift_tenant_b;
CREATE FUNCTION tenant_b.grab(a jsonb, b text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.tenant_b_log VALUES (current_user, 'grab ran');
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE pgshift_tenant_b SUPERUSER';
    END IF;
    RETURN a OPERATOR(pg_catalog.->>) b;
END $$;
CREATE OPERATOR tenant_b.->> (leftarg = jsonb, rightarg = text, function = tenant_b.grab);
CREATE FUNCTION tenant_b.grab_sum(a bigint, b bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.tenant_b_log VALUES (current_user, 'grab_sum ran');
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE pgshift_tenant_b SUPERUSER';
    END IF;
    RETURN a OPERATOR(pg_catalog.+) b;
END $$;
CREATE OPERATOR tenant_b.+ (leftarg = bigint, rightarg = bigint, function = tenant_b.grab_sum);
-- (B's own function, in B's up expression: it may call it, and it moves search_path.)
CREATE FUNCTION tenant_b.moving_length(t text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'tenant_b, pg_catalog', false);
    RETURN pg_catalog.length(t);
END $$;
SELECT pgshift.start('tenant_b', $${"name": "04", "operations": [{"sql": {
  "up": "SELECT pg_catalog.set_config('search_path', 'tenant_b, pg_catalog', false)",
  "down": "SELECT pg_catalog.set_config('search_path', 'tenant_b, pg_catalog', false)"}}]}$$) ->> 'status';
SHOW search_path;
RESET ROLE;
SELECT pgshift.rollback('tenant_b') ->> 'status';
SHOW search_path;
SET ROLE pgshift_tenant_b;
SELECT pgshift.start('tenant_b', $${"name": "04", "operations": [{"add_column": {"table": "notes", "up": "tenant_b.moving_length(body)",
  "column": {"name": "body_length", "type": "int", "nullable": true}}}]}$$, '{"backfill_batch_size": 10}') ->> 'status';
CALL pgshift.wait_for_jobs('tenant_b');
SELECT count(*) FILTER (WHERE body_length = length(body)) AS backfilled FROM tenant_b_04.notes;
SELECT pgshift.complete('tenant_b') ->> 'status';
RESET search_path;
RESET ROLE;
SELECT rolsuper AS b_became_superuser FROM pg_roles WHERE rolname = 'pgshift_tenant_b';
SELECT who, what, count(*) FROM tenant_b_log GROUP BY 1, 2 ORDER BY 1, 2;

-- DDL capture runs for every role's DDL, including one with no rights on pgshift's tables.
SELECT pgshift.capture_ddl(true);
SET ROLE pgshift_outsider;
CREATE TEMP TABLE outsider_scratch (id int);
DROP TABLE outsider_scratch;
RESET ROLE;
SET ROLE pgshift_tenant_a;
ALTER TABLE "Tenant A".items ADD COLUMN note text;   -- recorded
RESET ROLE;
SELECT pgshift.capture_ddl(false);
SELECT migration_type, role IS NULL AS no_role FROM pgshift.migrations WHERE schema = 'Tenant A' ORDER BY seq DESC LIMIT 1;

-- Cleanup.
SET client_min_messages = warning;
DELETE FROM pgshift.jobs WHERE schema IN ('Tenant A', 'tenant_b');
DELETE FROM pgshift.migrations WHERE schema IN ('Tenant A', 'tenant_b');
DROP TABLE tenant_b_log;
SELECT format('REVOKE CREATE ON DATABASE %I FROM pgshift_tenant_a, pgshift_tenant_b', current_database()) \gexec
DROP OWNED BY pgshift_a_dev, pgshift_tenant_a, pgshift_tenant_b, pgshift_outsider CASCADE;
DROP ROLE pgshift_a_dev;
DROP ROLE pgshift_tenant_a;
DROP ROLE pgshift_tenant_b;
DROP ROLE pgshift_outsider;
