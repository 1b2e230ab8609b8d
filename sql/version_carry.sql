-- A version schema carries what clients reach through it: the managed schema's types (as domains of
-- the same name), its functions and procedures (as wrappers of the same signature), and the app's own
-- views, made again over that version's views. Clients that only name the version schema work.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgshift;
CREATE ROLE vc_reader;
CREATE SCHEMA vc;
-- The app's schema, made by one raw-SQL migration, as an app's first migration would be.
SELECT pgshift.start('vc', jsonb_build_object('name', '01', 'operations', jsonb_build_array(jsonb_build_object('sql', jsonb_build_object('up', $sql$
  CREATE TYPE job_state AS ENUM ('created', 'active', 'completed', 'failed');
  CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
  CREATE TYPE retry AS (attempts integer, delay_s integer);
  CREATE TABLE job (id serial PRIMARY KEY, name text NOT NULL, state job_state NOT NULL DEFAULT 'created',
                    priority positive_int NOT NULL DEFAULT 1, policy retry);
  CREATE TABLE queue (name text PRIMARY KEY, policy text);
  CREATE FUNCTION create_queue(queue_name text, queue_policy text DEFAULT 'standard') RETURNS void
    LANGUAGE sql AS 'INSERT INTO vc.queue (name, policy) VALUES (queue_name, queue_policy)';
  CREATE FUNCTION count_jobs(wanted job_state) RETURNS bigint LANGUAGE sql STABLE
    AS 'SELECT count(*) FROM vc.job WHERE state = wanted';
  CREATE FUNCTION jobs_in(states job_state[]) RETURNS SETOF job LANGUAGE sql STABLE
    AS 'SELECT * FROM vc.job WHERE state = ANY (states) ORDER BY id';
  CREATE FUNCTION job_counts(OUT total bigint, OUT active bigint) LANGUAGE sql STABLE
    AS 'SELECT count(*), count(*) FILTER (WHERE state = ''active'') FROM vc.job';
  CREATE FUNCTION total(VARIADIC n integer[]) RETURNS integer LANGUAGE sql IMMUTABLE
    AS 'SELECT sum(x)::integer FROM unnest(n) x';
  CREATE FUNCTION first_of(a anyelement, b anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE AS 'SELECT a';
  CREATE PROCEDURE archive() LANGUAGE plpgsql AS $p$ BEGIN UPDATE vc.job SET state = 'completed' WHERE state = 'active'; COMMIT; END $p$;
  CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $t$ BEGIN RETURN NEW; END $t$;
  CREATE AGGREGATE longest(text) (sfunc = pg_catalog.textcat, stype = text);
  CREATE VIEW open_jobs WITH (security_invoker = true) AS SELECT id, name, state FROM job WHERE state < 'completed';
  CREATE VIEW open_job_names AS SELECT name FROM open_jobs WHERE count_jobs('created') >= 0;
  GRANT SELECT ON open_jobs TO vc_reader;
  REVOKE EXECUTE ON FUNCTION count_jobs(job_state) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION count_jobs(job_state) TO vc_reader;
$sql$))))) ->> 'status';
SELECT pgshift.complete('vc') ->> 'status';

-- What vc_01 holds besides the tables' views. Not carried: the trigger function, the aggregate.
SELECT c.relname, c.relkind, c.reloptions FROM pg_class c WHERE c.relnamespace = 'vc_01'::regnamespace ORDER BY 1;
SELECT t.typname, t.typtype, t.typbasetype::regtype FROM pg_type t
 WHERE t.typnamespace = 'vc_01'::regnamespace AND t.typtype = 'd' ORDER BY 1;
SELECT p.oid::regprocedure, p.prokind FROM pg_proc p WHERE p.pronamespace = 'vc_01'::regnamespace ORDER BY p.oid::regprocedure::text;

-- A client that names only the version schema.
INSERT INTO vc_01.job (name, state, policy) VALUES ('a', 'created'::vc_01.job_state, ROW(3, 10)::vc_01.retry),
                                                   ('b', 'active'::vc_01.job_state, NULL);
INSERT INTO vc_01.job (name, priority) VALUES ('c', 2::vc_01.positive_int);
INSERT INTO vc_01.job (name, priority) VALUES ('bad', 0::vc_01.positive_int);
-- Stored, returned and compared through untyped literals; PostgreSQL's enum operators do not take a
-- domain over the enum, so a comparison with a value cast to the version's name is refused (README).
UPDATE vc_01.job SET state = CASE WHEN id = 1 THEN 'created'::vc_01.job_state ELSE 'active'::vc_01.job_state END
 WHERE id IN (1, 2) RETURNING id, state;
SELECT id, name FROM vc_01.job WHERE state = ANY ('{created,active}') AND state < 'completed' ORDER BY id;
SELECT id FROM vc_01.job WHERE state = 'created'::vc_01.job_state;
SELECT vc_01.create_queue('q1'), vc_01.create_queue('q2', 'exactly_once');
SELECT * FROM vc.queue ORDER BY name;
SELECT vc_01.count_jobs('created'), (vc_01.job_counts()).*, vc_01.total(1, 2, 3), vc_01.first_of('x'::text, 'y');
SELECT id, name, state FROM vc_01.jobs_in('{active}');
CALL vc_01.archive();
SELECT name, state FROM vc.job ORDER BY id;
SELECT * FROM vc_01.open_jobs ORDER BY id;
SELECT * FROM vc_01.open_job_names ORDER BY 1;
-- The copies' grants are the originals'.
SELECT has_table_privilege('vc_reader', 'vc_01.open_jobs', 'SELECT') AS reader_reads,
       has_table_privilege('vc_reader', 'vc_01.open_job_names', 'SELECT') AS reader_reads_other,
       has_function_privilege('vc_reader', 'vc_01.count_jobs(vc.job_state)', 'EXECUTE') AS reader_counts,
       has_function_privilege('public', 'vc_01.count_jobs(vc.job_state)', 'EXECUTE') AS public_counts;

-- A migration that renames a column a view reads is refused, naming the view; nothing changes.
SELECT pgshift.start('vc', '{"name": "02", "operations": [{"rename_column": {"table": "job", "from": "name", "to": "title"}}]}');
SELECT count(*) AS migrations FROM pgshift.migrations WHERE schema = 'vc';

-- One that keeps what the views read: the new version answers with its own columns, in its views too.
SELECT pgshift.start('vc', '{"name": "02", "operations": [
  {"add_column": {"table": "job", "column": {"name": "singleton_key", "type": "text", "nullable": true}}},
  {"rename_column": {"table": "queue", "from": "policy", "to": "queue_policy"}}]}') ->> 'status';
INSERT INTO vc_02.job (name, state, singleton_key) VALUES ('d', 'active'::vc_02.job_state, 'k');
SELECT vc_02.create_queue('q3');
SELECT name, queue_policy FROM vc_02.queue ORDER BY name;
SELECT * FROM vc_02.open_jobs ORDER BY id;
SELECT * FROM vc_01.open_jobs ORDER BY id;
-- The copy reads the version's view, not the table.
SELECT DISTINCT d.refobjid::regclass FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
 WHERE r.ev_class = 'vc_02.open_jobs'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class;
-- A function made outside pgshift meanwhile reaches the live versions at the next start, complete or rollback.
CREATE FUNCTION vc.late(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x + 1';
SELECT pgshift.complete('vc') ->> 'status';
SELECT vc_02.late(1);
-- Rollback drops what it carried with the version schema.
SELECT pgshift.start('vc', '{"name": "03", "operations": [{"add_column": {"table": "queue", "column": {"name": "size", "type": "integer", "default": "0"}}}]}') ->> 'status';
SELECT count(*) AS wrappers FROM pg_proc WHERE pronamespace = 'vc_03'::regnamespace;
SELECT pgshift.rollback('vc') ->> 'status';
SELECT to_regnamespace('vc_03') AS version_schema;

-- A function planted in the schema since a view was made, which matches the view's call better, does not
-- change what the view's copy calls (it is printed with the cast that keeps its call; and start checks
-- that a copy calls what its view calls).
CREATE FUNCTION vc.doubled(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
CREATE VIEW vc.doubled_ids AS SELECT vc.doubled(id) AS d FROM vc.job;
CREATE FUNCTION vc.doubled(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 0';
SELECT pgshift.start('vc', '{"name": "04", "operations": [{"add_column": {"table": "queue", "column": {"name": "size", "type": "integer", "default": "0"}}}]}') ->> 'status';
SELECT min(d) AS doubled FROM vc_04.doubled_ids;
SELECT pgshift.rollback('vc') ->> 'status';
DROP VIEW vc.doubled_ids;
DROP FUNCTION vc.doubled(numeric), vc.doubled(integer);

-- A later migration redefines a view: its new version has the view as it is now, the live version
-- keeps its copy of the view as it was, and neither start nor complete fails on that copy.
SELECT pgshift.start('vc', jsonb_build_object('name', '05', 'operations', jsonb_build_array(jsonb_build_object('sql',
  jsonb_build_object('up', 'CREATE OR REPLACE VIEW open_job_names AS SELECT upper(name) AS name FROM open_jobs',
                     'down', 'CREATE OR REPLACE VIEW open_job_names AS SELECT name FROM open_jobs WHERE count_jobs(''created'') >= 0')))))
  ->> 'status';
SELECT (SELECT min(name) FROM vc_05.open_job_names) AS new_version, (SELECT min(name) FROM vc_02.open_job_names) AS old_version;
SELECT pgshift.complete('vc') ->> 'status';

-- Views and functions a third role owns are not carried (a view that reads with its owner's rights
-- would read with the migrating role's; a function a role with CREATE on the schema planted would be
-- found first by the version's clients): reported, and left out.
CREATE ROLE vc_other;
CREATE VIEW vc.others_view AS SELECT id FROM vc.job;
ALTER VIEW vc.others_view OWNER TO vc_other;
CREATE FUNCTION vc.others_function() RETURNS integer LANGUAGE sql AS 'SELECT 1';
ALTER FUNCTION vc.others_function() OWNER TO vc_other;
SELECT pgshift.start('vc', '{"name": "06", "operations": [{"add_column": {"table": "queue", "column": {"name": "size", "type": "integer", "default": "0"}}}]}') ->> 'status';
SELECT to_regclass('vc_06.others_view') AS view, to_regprocedure('vc_06.others_function()') AS function,
       to_regprocedure('vc_06.count_jobs(vc.job_state)') AS own_function;
SELECT pgshift.rollback('vc') ->> 'status';

DO $$ DECLARE s name; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname = 'vc' OR nspname LIKE 'vc\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
DROP OWNED BY vc_reader, vc_other;
DROP ROLE vc_reader, vc_other;
