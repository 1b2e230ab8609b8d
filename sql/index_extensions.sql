-- pgshift's extensions of create_index: expression elements and INCLUDE columns, built concurrently
-- like every index on an existing table (docs/format-extensions.md).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgshift;
CREATE SCHEMA ix;
SELECT pgshift.start('ix', $${"name": "01", "operations": [{"create_table": {"name": "jobs", "columns": [
  {"name": "id", "type": "serial", "pk": true}, {"name": "name", "type": "text"},
  {"name": "singleton_key", "type": "text", "nullable": true}, {"name": "state", "type": "text", "default": "'created'"}]}}]}$$) ->> 'status';
SELECT pgshift.complete('ix') ->> 'status';
INSERT INTO ix.jobs (name, singleton_key) SELECT 'q' || g, CASE WHEN g % 2 = 0 THEN 'k' || g END FROM generate_series(1, 20) g;

-- The expression names columns as the new version does (singleton_key renamed by the same migration);
-- the worker builds the index CONCURRENTLY on the physical columns.
SELECT pgshift.start('ix', $${"name": "02", "operations": [
  {"rename_column": {"table": "jobs", "from": "singleton_key", "to": "skey"}},
  {"create_index": {"name": "jobs_singleton", "table": "jobs", "unique": true,
    "columns": [{"column": "name"}, {"expression": "COALESCE(skey, '')", "collate": "C", "sort": "DESC"}],
    "include": ["state"], "predicate": "state <> 'completed'"}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('ix');
SELECT statement FROM pgshift.jobs WHERE schema = 'ix' AND kind = 'sql';
SELECT pg_get_indexdef(indexrelid), indisvalid FROM pg_index WHERE indexrelid = 'ix.jobs_singleton'::regclass;
-- The index is there for the new version's writers already: a duplicate (name, skey) is refused.
INSERT INTO ix_02.jobs (name, skey) VALUES ('q4', 'k4');
INSERT INTO ix_02.jobs (name, skey) VALUES ('q0', 'k4');
SELECT pgshift.complete('ix') ->> 'status';
SELECT pg_get_indexdef('ix.jobs_singleton'::regclass);

-- On a table the same migration creates, it is built at start.
SELECT pgshift.start('ix', $${"name": "03", "operations": [
  {"create_table": {"name": "queues", "columns": [{"name": "name", "type": "text", "pk": true}, {"name": "policy", "type": "text", "nullable": true}]}},
  {"create_index": {"name": "queues_policy", "table": "queues", "columns": [{"expression": "lower(policy)"}], "include": ["name"]}}]}$$) ->> 'jobs' AS jobs;
SELECT pg_get_indexdef('ix.queues_policy'::regclass);
-- Rollback takes it away with the table.
SELECT pgshift.rollback('ix') ->> 'status';
SELECT to_regclass('ix.queues_policy') AS index;

-- Refused at start, nothing changed.
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"column": "name", "expression": "lower(name)"}]}}]}$$);
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"sort": "ASC"}]}}]}$$);
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"expression": "lower(nosuch)"}]}}]}$$);
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"expression": "lower(name"}]}}]}$$);
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"column": "name"}], "include": ["nosuch"]}}]}$$);
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"column": "name"}], "include": "state"}}]}$$);
-- An index the migration creates on a column that a later operation replaces would be left behind: refused.
SELECT pgshift.start('ix', $${"name": "03", "operations": [{"create_index": {"name": "i", "table": "jobs", "columns": [{"expression": "lower(name)"}]}},
  {"alter_column": {"table": "jobs", "column": "name", "type": "varchar(100)", "up": "name", "down": "name"}}]}$$);
SELECT count(*) AS migrations FROM pgshift.migrations WHERE schema = 'ix';
