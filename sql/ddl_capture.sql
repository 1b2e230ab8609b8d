-- DDL made outside pgshift is recorded as an inferred migration of a managed schema (opt-in).
\set SHOW_CONTEXT never
CREATE SCHEMA cap;
SELECT pgshift.start('cap', '{"name": "01", "operations": [{"create_table": {"name": "t", "columns": [{"name": "id", "type": "int", "pk": true}]}}]}') ->> 'status';
SELECT pgshift.complete('cap') ->> 'status';
SELECT pgshift.capture_ddl(true);
ALTER TABLE cap.t ADD COLUMN note text;                   -- recorded
CREATE TABLE cap.u (id int); CREATE INDEX ON cap.u (id);  -- psql sends these one by one: two records
\set QUIET on
SELECT 1 \; ALTER TABLE cap.t ADD COLUMN a int \; ALTER TABLE cap.t ADD COLUMN b int;   -- one query: one record
\set QUIET off
DROP TABLE cap.u;                                         -- recorded
CREATE TABLE unmanaged_elsewhere (id int);                -- not a managed schema: ignored
DROP TABLE unmanaged_elsewhere;
SELECT name ~ '^01_[0-9]{20}$' AS named_after_latest, parent IS NOT NULL AS chained, done, migration_type,
       migration->'operations'->0->'sql'->>'up' AS up, resulting_schema->'tables' ? 'u' AS has_u
  FROM pgshift.migrations WHERE schema = 'cap' ORDER BY seq;
-- pgshift's own DDL is not recorded, and nothing is recorded while a migration is active.
SELECT pgshift.start('cap', '{"name": "02", "operations": [{"add_column": {"table": "t", "column": {"name": "x", "type": "int", "nullable": true}}}]}') ->> 'status';
ALTER TABLE cap.t ADD COLUMN during_migration int;
SELECT pgshift.complete('cap') ->> 'status';
SELECT count(*) AS records FROM pgshift.migrations WHERE schema = 'cap';
SELECT pgshift.capture_ddl(false);
ALTER TABLE cap.t ADD COLUMN after_capture int;
SELECT count(*) AS records FROM pgshift.migrations WHERE schema = 'cap';
SELECT pgshift.status('cap') ->> 'status';
