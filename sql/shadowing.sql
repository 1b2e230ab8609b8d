-- Functions and operators planted by a third role, in `public` and in the managed schema, never run
-- in what pgshift builds or runs (issue 11, case 2): every statement is pinned to pg_catalog and
-- names what it calls qualified, and a migration's own expressions may not call a third role's
-- functions.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DO $$ BEGIN CREATE ROLE pgshift_planter LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE pgshift_victim LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
RESET client_min_messages;
SELECT format('GRANT CREATE ON DATABASE %I TO pgshift_victim', current_database()) \gexec
CREATE SCHEMA victim AUTHORIZATION pgshift_victim;
GRANT CREATE ON SCHEMA public TO pgshift_planter;        -- as before PostgreSQL 15, still common
GRANT USAGE, CREATE ON SCHEMA victim TO pgshift_planter;  -- the owner let a colleague in
CREATE TABLE public.planted_calls (who name, what text);
GRANT INSERT ON public.planted_calls TO PUBLIC;
-- The victim's sessions (and the worker, which connects as it) find public before pg_catalog.
ALTER ROLE pgshift_victim SET search_path = public, pg_catalog;

-- What the planter leaves: functions with pg_catalog's signatures (they win when a search_path
-- puts their schema before pg_catalog) and better-matching ones (they win wherever their schema is
-- searched at all), and operators; each notes who ran it.
SET ROLE pgshift_planter;
CREATE FUNCTION public._planted(what text) RETURNS void LANGUAGE sql SET search_path = pg_catalog AS
  $$ INSERT INTO public.planted_calls VALUES (current_user, what) $$;
DO $plant$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['public', 'victim'] LOOP
        EXECUTE replace($f$
            CREATE FUNCTION @.format(text, bigint) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('format(text, bigint)'); RETURN pg_catalog.format($1, $2); END $b$;
            CREATE FUNCTION @.format(text, text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('format(text, text)'); RETURN pg_catalog.format($1, $2); END $b$;
            CREATE FUNCTION @.current_setting(text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('current_setting'); RETURN pg_catalog.current_setting($1); END $b$;
            CREATE FUNCTION @.pg_relation_size(regclass) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('pg_relation_size'); RETURN pg_catalog.pg_relation_size($1); END $b$;
            CREATE FUNCTION @.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('clock_timestamp'); RETURN pg_catalog.clock_timestamp(); END $b$;
            CREATE FUNCTION @.hashtext(text) RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('hashtext'); RETURN pg_catalog.hashtext($1); END $b$;
            CREATE FUNCTION @.lower(text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('lower'); RETURN pg_catalog.lower($1); END $b$;
            CREATE FUNCTION @.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('text = text'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $b$;
            CREATE OPERATOR @.= (leftarg = text, rightarg = text, function = @.text_eq);
            CREATE FUNCTION @.name_eq(name, name) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('name = name'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $b$;
            CREATE OPERATOR @.= (leftarg = name, rightarg = name, function = @.name_eq);
            CREATE FUNCTION @.text_int_concat(text, integer) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('text || integer'); RETURN $1 OPERATOR(pg_catalog.||) $2::text; END $b$;
            CREATE OPERATOR @.|| (leftarg = text, rightarg = integer, function = @.text_int_concat);
            CREATE FUNCTION @.oid_regclass_eq(oid, regclass) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('oid = regclass'); RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END $b$;
            CREATE OPERATOR @.= (leftarg = oid, rightarg = regclass, function = @.oid_regclass_eq);
            CREATE FUNCTION @.oid_regtype_eq(oid, regtype) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS
              $b$ BEGIN PERFORM public._planted('oid = regtype'); RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END $b$;
            CREATE OPERATOR @.= (leftarg = oid, rightarg = regtype, function = @.oid_regtype_eq);
        $f$, '@', s);
    END LOOP;
END $plant$;
RESET ROLE;

-- The plants work: a client whose search_path puts public first runs them.
SET search_path = public, pg_catalog;
SELECT format('%s', 1::bigint) AS planted_format, lower('X') AS planted_lower, 'a' || 1 AS planted_concat;
RESET search_path;
SELECT what FROM planted_calls ORDER BY what;
DELETE FROM planted_calls;

-- A whole cycle by the victim, from such a session: start with a backfill (the worker connects as
-- the victim, with its role's search_path), writes through both versions and the table, complete;
-- then a start and a rollback.
SET ROLE pgshift_victim;
SET search_path = public, pg_catalog;
SELECT pgshift.start('victim', $${"name": "01", "operations": [{"create_table": {"name": "items", "columns": [
  {"name": "id", "type": "bigint", "pk": true}, {"name": "label", "type": "text"}]}}]}$$) ->> 'status';
SELECT pgshift.complete('victim') ->> 'status';
INSERT INTO victim.items SELECT g, 'Item ' || g::text FROM generate_series(1, 300) g;
SELECT pgshift.start('victim', $${"name": "02", "operations": [{"alter_column": {"table": "items", "column": "label",
  "type": "varchar(40)", "up": "lower(label)", "down": "label"}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('victim');
SELECT pgshift.status('victim') ->> 'status';
UPDATE victim_01.items SET label = 'Old Write' WHERE id = 1;
UPDATE victim_02.items SET label = 'new write' WHERE id = 2;
UPDATE victim.items SET label = 'Table Write' WHERE id = 3;
SELECT id, label FROM victim_02.items WHERE id <= 4 ORDER BY id;
SELECT pgshift.complete('victim') ->> 'status';
SELECT pgshift.start('victim', $${"name": "03", "operations": [{"add_column": {"table": "items", "up": "length(label)",
  "column": {"name": "size", "type": "int", "nullable": true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('victim');
SELECT pgshift.rollback('victim') ->> 'status';
RESET search_path;
RESET ROLE;
SELECT who, what, count(*) FROM planted_calls GROUP BY 1, 2 ORDER BY 1, 2;
SET search_path = pg_catalog;   -- (so that this check runs no plant either)
SELECT count(*) FILTER (WHERE label = lower('Item ' || id::text)) AS backfilled FROM victim.items;
RESET search_path;

-- A primary key's type change: complete hands the serial sequence over in DO blocks that query the
-- catalog (oid = regclass, oid = regtype have no exact match in pg_catalog): none reaches a plant.
SET ROLE pgshift_victim;
SET search_path = public, pg_catalog;
SELECT pgshift.start('victim', $${"name": "03_counters", "operations": [{"create_table": {"name": "counters", "columns": [
  {"name": "id", "type": "serial", "pk": true}, {"name": "n", "type": "int", "nullable": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('victim') ->> 'status';
INSERT INTO victim.counters (n) SELECT g FROM generate_series(1, 100) g;
SELECT pgshift.start('victim', $${"name": "03_counters_bigint", "operations": [{"alter_column": {"table": "counters",
  "column": "id", "type": "bigint", "up": "id::bigint", "down": "id::integer"}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('victim');
SELECT pgshift.complete('victim') ->> 'status';
INSERT INTO victim.counters (n) VALUES (101) RETURNING id;
RESET search_path;
RESET ROLE;
SELECT who, what, count(*) FROM planted_calls GROUP BY 1, 2 ORDER BY 1, 2;
SET search_path = pg_catalog;   -- (so that this check runs no plant either)
SELECT format_type(s.seqtypid, NULL) AS sequence_type FROM pg_sequence s
 WHERE s.seqrelid = pg_get_serial_sequence('victim.counters', 'id')::regclass;
RESET search_path;

-- A migration's own expression that would call a planted function (format(text, bigint) matches
-- better than pg_catalog's) is refused at start, naming it; the schema is as it was.
SET ROLE pgshift_victim;
SELECT pgshift.start('victim', $${"name": "04", "operations": [{"add_column": {"table": "items",
  "up": "format('#%s', id)", "column": {"name": "tag", "type": "text", "nullable": true}}}]}$$) ->> 'status';
-- (Also inside a subquery, which runs as a query of its own.)
SELECT pgshift.start('victim', $${"name": "04", "operations": [{"add_column": {"table": "items",
  "up": "(SELECT format('#%s', id) WHERE true)", "column": {"name": "tag", "type": "text", "nullable": true}}}]}$$) ->> 'status';
SELECT pgshift.status('victim') ->> 'status';
-- With the function named qualified, it is the migration's own business.
SELECT pgshift.start('victim', $${"name": "04", "operations": [{"add_column": {"table": "items",
  "up": "pg_catalog.format('#%s', id)", "column": {"name": "tag", "type": "text", "nullable": true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('victim');
SELECT pgshift.complete('victim') ->> 'status';
SELECT count(*) FILTER (WHERE tag = '#' || id::text) AS tagged FROM victim.items;
-- An inlinable SQL function (the planner would fold it into pg_catalog's calls before any check
-- saw it) is refused as well, and so is a default or a check constraint that would call a plant.
RESET ROLE;
SET ROLE pgshift_planter;
CREATE FUNCTION victim.length(character varying) RETURNS integer LANGUAGE sql IMMUTABLE AS
  $$ SELECT pg_catalog.length($1::pg_catalog.text) $$;
RESET ROLE;
SET ROLE pgshift_victim;
SELECT pgshift.start('victim', $${"name": "05", "operations": [{"add_column": {"table": "items",
  "up": "length(label)", "column": {"name": "label_length", "type": "int", "nullable": true}}}]}$$) ->> 'status';
SELECT pgshift.start('victim', $${"name": "05", "operations": [{"add_column": {"table": "items",
  "column": {"name": "code", "type": "int", "default": "length('abc'::varchar)"}}}]}$$) ->> 'status';
SELECT pgshift.start('victim', $${"name": "05", "operations": [{"create_constraint": {"table": "items", "type": "check",
  "name": "label_short", "columns": ["label"], "check": "length(label) < 100",
  "up": {"label": "label"}, "down": {"label": "label"}}}]}$$) ->> 'status';
-- A policy made by raw SQL, and a domain of the planter's whose check would run on every write.
SELECT pgshift.start('victim', $${"name": "05", "operations": [{"sql": {
  "up": "CREATE POLICY nonempty ON victim.items USING (length(label) > 0)", "down": "DROP POLICY nonempty ON victim.items"}}]}$$) ->> 'status';
RESET ROLE;
SET ROLE pgshift_planter;
CREATE DOMAIN victim.tag_text AS text CHECK (public._planted('domain check') IS NULL);
RESET ROLE;
SET ROLE pgshift_victim;
SELECT pgshift.start('victim', $${"name": "05", "operations": [{"add_column": {"table": "items",
  "up": "CAST(id AS victim.tag_text)", "column": {"name": "tag2", "type": "text", "nullable": true}}}]}$$) ->> 'status';
SELECT pgshift.status('victim') ->> 'status';
RESET ROLE;

-- A superuser's table is no exception: a plant in its schema is not trusted for it either.
CREATE SCHEMA dba_app;
GRANT USAGE, CREATE ON SCHEMA dba_app TO pgshift_planter;
SELECT pgshift.start('dba_app', $${"name": "01", "operations": [{"create_table": {"name": "accounts", "columns": [
  {"name": "id", "type": "bigint", "pk": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('dba_app') ->> 'status';
SET ROLE pgshift_planter;
CREATE FUNCTION dba_app.format(text, bigint) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
  $b$ BEGIN PERFORM public._planted('dba_app.format(text, bigint)'); RETURN pg_catalog.format($1, $2); END $b$;
RESET ROLE;
SELECT pgshift.start('dba_app', $${"name": "02", "operations": [{"add_column": {"table": "accounts",
  "up": "format('#%s', id)", "column": {"name": "tag", "type": "text", "nullable": true}}}]}$$) ->> 'status';
SELECT pgshift.status('dba_app') ->> 'status';
SELECT who, what, count(*) FROM planted_calls GROUP BY 1, 2 ORDER BY 1, 2;

-- Cleanup (the plants first: this session's own search_path finds them too).
SET client_min_messages = warning;
DROP OWNED BY pgshift_planter CASCADE;
ALTER ROLE pgshift_victim RESET search_path;
DELETE FROM pgshift.jobs WHERE schema IN ('victim', 'dba_app');
DELETE FROM pgshift.migrations WHERE schema IN ('victim', 'dba_app');
DROP SCHEMA dba_app CASCADE;
DROP SCHEMA dba_app_01 CASCADE;
DROP TABLE planted_calls;
SELECT format('REVOKE CREATE ON DATABASE %I FROM pgshift_victim', current_database()) \gexec
REVOKE CREATE ON SCHEMA public FROM pgshift_planter;
DROP OWNED BY pgshift_planter, pgshift_victim CASCADE;
DROP ROLE pgshift_planter;
DROP ROLE pgshift_victim;
