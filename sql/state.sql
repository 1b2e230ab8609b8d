-- The state table enforces its own rules, whatever writes to it.
\set SHOW_CONTEXT never
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_schema = 'pgshift' AND table_name = 'migrations' ORDER BY ordinal_position;

INSERT INTO pgshift.migrations (schema, name, migration) VALUES ('s1', 'a', '{"operations": []}');
-- at most one active migration per schema
INSERT INTO pgshift.migrations (schema, name, parent, migration) VALUES ('s1', 'b', 'a', '{"operations": []}');
\echo :LAST_ERROR_SQLSTATE
UPDATE pgshift.migrations SET done = true WHERE schema = 's1' AND name = 'a';
INSERT INTO pgshift.migrations (schema, name, parent, migration) VALUES ('s1', 'b', 'a', '{"operations": []}');
UPDATE pgshift.migrations SET done = true WHERE schema = 's1' AND name = 'b';
-- one root per schema, history is a line, parents exist
INSERT INTO pgshift.migrations (schema, name, migration, done) VALUES ('s1', 'c', '{"operations": []}', true);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pgshift.migrations (schema, name, parent, migration, done) VALUES ('s1', 'c', 'a', '{"operations": []}', true);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pgshift.migrations (schema, name, parent, migration, done) VALUES ('s1', 'c', 'zz', '{"operations": []}', true);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
INSERT INTO pgshift.migrations (schema, name, parent, migration, migration_type) VALUES ('s1', 'c', 'b', '{}', 'other');
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
-- another schema has its own chain
INSERT INTO pgshift.migrations (schema, name, migration) VALUES ('s2', 'a', '{"operations": []}');
SELECT schema, name, parent, done FROM pgshift.migrations WHERE schema IN ('s1', 's2') ORDER BY schema, seq;
DELETE FROM pgshift.migrations WHERE schema IN ('s1', 's2') AND parent IS NOT NULL;
DELETE FROM pgshift.migrations WHERE schema IN ('s1', 's2');

-- The advisory lock: another session holding it makes start fail at once with 55P03.
SELECT pgshift.lock_key() = 1886610292 AS documented_key;
CREATE SCHEMA locked;
SELECT pg_advisory_lock(pgshift.lock_key(), hashtext('locked'));
-- The same session holds it, so its own start passes (the CLI relies on this).
SELECT pgshift.start('locked', '{"name": "01", "operations": []}');
SELECT pgshift.rollback('locked');
SELECT pg_advisory_unlock(pgshift.lock_key(), hashtext('locked'));

-- Another session holding the lock makes start fail at once with 55P03, changing nothing.
CREATE EXTENSION dblink;
SELECT dblink_connect('holder', format('host=%s port=%s dbname=%s',
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database()));
SELECT * FROM dblink('holder', 'SELECT pg_advisory_lock(1886610292, hashtext(''locked''))::text') AS t(locked text);
SELECT pgshift.start('locked', '{"name": "01", "operations": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pgshift.migrations WHERE schema = 'locked';
SELECT dblink_disconnect('holder');
DROP EXTENSION dblink;
