-- A backfill batch computes the new columns in its own SET list (issue 13): with no BEFORE UPDATE
-- trigger to fire, PostgreSQL does not lock each row a second time. What a SET list cannot compute
-- as the trigger would (an expression with a subquery; one reading what an earlier one wrote)
-- still goes through the trigger. Either way the rows end with the trigger's values.
\set SHOW_CONTEXT never
SET track_functions = 'all';
-- One batch of the migration's backfill, and how many times it called the dual-write trigger (the
-- count is the session's until its stats are flushed: hence the difference).
CREATE FUNCTION pg_temp.trigger_calls() RETURNS bigint LANGUAGE sql
AS $$ SELECT coalesce(pg_stat_get_xact_function_calls('pgshift.dual_write'::regproc), 0) $$;
CREATE FUNCTION pg_temp.batch(migration text, OUT rows bigint, OUT trigger_calls bigint) LANGUAGE plpgsql AS $$
DECLARE
    before bigint := pg_temp.trigger_calls();
BEGIN
    rows := pgshift._backfill_batch('bc', migration, 1);
    trigger_calls := pg_temp.trigger_calls() - before;
END $$;
CREATE SCHEMA bc;
CREATE FUNCTION bc.shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) || '!' $$;
CREATE TABLE bc.items (id int PRIMARY KEY, v text, price text);
INSERT INTO bc.items SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'v' || g END, (g * 1.25)::text
FROM generate_series(1, 400) g;
-- A function of the managed schema, an implicit cast (numeric to integer rounds), NULL handling.
SELECT pgshift.start('bc', $${"name": "01", "operations": [
  {"alter_column": {"table": "items", "column": "v", "nullable": false,
    "up": "SELECT CASE WHEN v IS NULL THEN 'none' ELSE shout(v) END", "down": "v"}},
  {"alter_column": {"table": "items", "column": "price", "type": "integer",
    "up": "price::numeric * 2", "down": "price::text"}}]}$$, '{"paused": true}') ->> 'status';
-- A hostile role's objects on the worker's path change nothing: names were resolved at start.
CREATE FUNCTION public.shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
SELECT * FROM pg_temp.batch('01');
-- The application's writes still go through the trigger.
BEGIN;
SELECT pg_temp.trigger_calls() AS calls \gset
UPDATE bc.items SET v = 'w' || id WHERE id <= 3;
SELECT pg_temp.trigger_calls() - :calls AS trigger_calls_of_app_update;
COMMIT;
SELECT state FROM pgshift.jobs WHERE schema = 'bc' AND kind = 'backfill';
SELECT count(*) FILTER (WHERE _pgshift_new_v = coalesce(upper(v) || '!', 'none')
                          AND _pgshift_new_price = round(price::numeric * 2)) AS right, count(*) AS rows
FROM bc.items;
SELECT pgshift.rollback('bc') ->> 'status';

-- An up expression with a subquery: the trigger computes it, for every row of the batch.
CREATE TABLE bc.labels (v text PRIMARY KEY, label text);
INSERT INTO bc.labels VALUES ('v5', 'first'), ('v6', 'second');
SELECT pgshift.start('bc', $${"name": "02", "operations": [
  {"alter_column": {"table": "items", "column": "v", "nullable": false,
    "up": "coalesce((SELECT label FROM labels l WHERE l.v = v), 'other')", "down": "v"}}]}$$,
  '{"paused": true}') ->> 'status';
SELECT * FROM pg_temp.batch('02');
SELECT _pgshift_new_v AS label, count(*) FROM bc.items GROUP BY 1 ORDER BY 1;
SELECT pgshift.rollback('bc') ->> 'status';

-- Two new columns, the second computed from the first: the trigger runs them in turn, each seeing
-- the one before; a SET list would read the first one's old (NULL) value, so the trigger does it.
SELECT pgshift.start('bc', $${"name": "03", "operations": [
  {"add_column": {"table": "items", "column": {"name": "a", "type": "integer", "nullable": true}, "up": "id * 10"}},
  {"add_column": {"table": "items", "column": {"name": "b", "type": "integer", "nullable": true}, "up": "a + 1"}}]}$$,
  '{"paused": true}') ->> 'status';
SELECT * FROM pg_temp.batch('03');
SELECT pgshift.backfill_resume('bc');
CALL pgshift.wait_for_jobs('bc');
SELECT count(*) FILTER (WHERE a = id * 10 AND b = id * 10 + 1) AS right, count(*) AS rows FROM bc_03.items;
SELECT pgshift.rollback('bc') ->> 'status';

-- A SET list assigns as the trigger does: a value too long for varchar(3) is an error, not cut.
SELECT pgshift.start('bc', $${"name": "04", "operations": [
  {"alter_column": {"table": "items", "column": "v", "type": "varchar(3)", "up": "v", "down": "v"}}]}$$,
  '{"paused": true}') ->> 'status';
SELECT * FROM pg_temp.batch('04');
SELECT pgshift.rollback('bc') ->> 'status';

-- Functions as they resolved when the expression was compiled: a SQL function of the managed
-- schema, inlined there, calls another one by its bare name; a default argument is filled in, so
-- an overload created after the first batch, matching the bare call better, is not the one the
-- second batch calls (a session compiling the expression afresh finds the call ambiguous).
CREATE FUNCTION bc.tag(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN '<' || t || '>'; END $$;
SET check_function_bodies = off;   -- (its body names tag() as a caller in schema bc would)
CREATE FUNCTION bc.wrap(t text, n int DEFAULT 1) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT repeat(tag(t), n) $$;
RESET check_function_bodies;
SELECT pgshift.start('bc', $${"name": "05", "operations": [
  {"alter_column": {"table": "items", "column": "v", "nullable": false, "up": "coalesce(wrap(v), '-')", "down": "v"}}]}$$,
  '{"paused": true, "backfill_batch_size": 250}') ->> 'status';
SELECT * FROM pg_temp.batch('05');
CREATE FUNCTION bc.wrap(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'overload' $$;
SELECT * FROM pg_temp.batch('05');
SELECT count(*) FILTER (WHERE _pgshift_new_v = coalesce('<' || v || '>', '-')) AS right, count(*) AS rows FROM bc.items;
SELECT pgshift.rollback('bc') ->> 'status';
DROP FUNCTION bc.wrap(text);

-- A table without a key is backfilled by block ranges, computing its SET list the same way.
CREATE TABLE bc.log (line text);
INSERT INTO bc.log SELECT 'line ' || g FROM generate_series(1, 300) g;
SELECT pgshift.start('bc', $${"name": "06", "operations": [
  {"alter_column": {"table": "log", "column": "line", "nullable": false, "up": "upper(line)", "down": "line"}}]}$$,
  '{"paused": true}') ->> 'status';
SELECT * FROM pg_temp.batch('06');
SELECT count(*) FILTER (WHERE _pgshift_new_line = upper(line)) AS right, count(*) AS rows FROM bc.log;
SELECT pgshift.rollback('bc') ->> 'status';

-- What does not read back as the same expression stays on the trigger: an explicit COLLATE (the
-- planner folds it into a relabeling that SQL cannot spell), a CASE over a boolean (simplified into
-- a form ruleutils prints but the parser does not take).
SELECT pgshift.start('bc', $${"name": "07", "operations": [
  {"alter_column": {"table": "log", "column": "line", "nullable": false,
    "up": "CASE WHEN line COLLATE \"C\" < 'line 2' THEN 'low' ELSE 'high' END", "down": "line"}}]}$$,
  '{"paused": true}') ->> 'status';
SELECT * FROM pg_temp.batch('07');
SELECT count(*) FILTER (WHERE _pgshift_new_line = CASE WHEN line COLLATE "C" < 'line 2' THEN 'low' ELSE 'high' END)
       AS right, count(*) AS rows FROM bc.log;
SELECT pgshift.rollback('bc') ->> 'status';
ALTER TABLE bc.log ADD COLUMN flag boolean;
UPDATE bc.log SET flag = (length(line) % 2 = 0);
SELECT pgshift.start('bc', $${"name": "08", "operations": [
  {"alter_column": {"table": "log", "column": "flag", "nullable": false,
    "up": "CASE flag WHEN true THEN true ELSE false END", "down": "flag"}}]}$$,
  '{"paused": true}') ->> 'status';
SELECT * FROM pg_temp.batch('08');
SELECT count(*) FILTER (WHERE _pgshift_new_flag = coalesce(flag, false)) AS right, count(*) AS rows FROM bc.log;
SELECT pgshift.rollback('bc') ->> 'status';
DROP FUNCTION public.shout(text);
DROP SCHEMA bc CASCADE;
