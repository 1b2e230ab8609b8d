-- create_constraint, drop_constraint and drop_multicolumn_constraint: built on duplicated columns,
-- so the old version keeps writing what it could write, and the constraint holds after complete.
\set SHOW_CONTEXT never
CREATE SCHEMA con;
SELECT pgshift.start('con', $${"name": "01", "operations": [
  {"create_table": {"name": "sellers", "columns": [{"name": "name", "type": "varchar(255)", "pk": true},
    {"name": "zip", "type": "integer", "pk": true}]}},
  {"create_table": {"name": "tickets", "columns": [{"name": "id", "type": "serial", "pk": true},
    {"name": "sellers_name", "type": "varchar(255)"}, {"name": "sellers_zip", "type": "integer"},
    {"name": "title", "type": "text", "check": {"name": "title_length", "constraint": "length(title) > 3"}}]}}]}$$) ->> 'status';
SELECT pgshift.complete('con') ->> 'status';
INSERT INTO con.sellers VALUES ('alice', 1), ('bob', 2);
INSERT INTO con.tickets (sellers_name, sellers_zip, title) VALUES ('alice', 1, 'first'), ('bob', 2, 'second'), ('bob', 2, 'dupe'), ('carol', -5, 'third');

-- unique over two columns; up makes the duplicate unique
SELECT pgshift.start('con', $${"name": "02_unique", "operations": [{"create_constraint": {"type": "unique",
  "table": "tickets", "name": "unique_zip_name", "columns": ["sellers_name", "sellers_zip"],
  "up": {"sellers_name": "SELECT CASE WHEN title = 'dupe' THEN sellers_name || '-2' ELSE sellers_name END", "sellers_zip": "sellers_zip"},
  "down": {"sellers_name": "sellers_name", "sellers_zip": "sellers_zip"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('con');
SELECT sellers_name, sellers_zip FROM con_02_unique.tickets ORDER BY id;
SET search_path TO con_01;
INSERT INTO tickets (sellers_name, sellers_zip, title) VALUES ('alice', 3, 'old client, new pair');
INSERT INTO tickets (sellers_name, sellers_zip, title) VALUES ('alice', 1, 'dupe');   -- up makes it alice-2
SET search_path TO con_02_unique;
INSERT INTO tickets (sellers_name, sellers_zip, title) VALUES ('bob', 2, 'new client cannot');
RESET search_path;
SELECT pgshift.complete('con') ->> 'status';
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'con.tickets'::regclass ORDER BY 1;
SELECT sellers_name, sellers_zip, title FROM con.tickets WHERE id > 4 ORDER BY id;

-- check over two columns, with up fixing rows that would fail it
SELECT pgshift.start('con', $${"name": "03_check", "operations": [{"create_constraint": {"type": "check",
  "table": "tickets", "name": "check_zip_name", "columns": ["sellers_name", "sellers_zip"],
  "check": "sellers_name = 'alice' OR sellers_zip > 0",
  "up": {"sellers_name": "sellers_name", "sellers_zip": "SELECT CASE WHEN sellers_name <> 'alice' AND sellers_zip <= 0 THEN 123 ELSE sellers_zip END"},
  "down": {"sellers_name": "sellers_name", "sellers_zip": "sellers_zip"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('con');
SET search_path TO con_02_unique;
INSERT INTO tickets (sellers_name, sellers_zip, title) VALUES ('dave', -1, 'old client');   -- up: 123
SET search_path TO con_03_check;
INSERT INTO tickets (sellers_name, sellers_zip, title) VALUES ('erin', -1, 'new client');   -- check fails
RESET search_path;
SELECT sellers_name, sellers_zip FROM con_03_check.tickets WHERE sellers_name IN ('carol', 'dave') ORDER BY 1;
SELECT pgshift.complete('con') ->> 'status';

-- foreign key over two columns
SELECT pgshift.start('con', $${"name": "04_fk", "operations": [{"create_constraint": {"type": "foreign_key",
  "table": "tickets", "name": "fk_sellers", "columns": ["sellers_name", "sellers_zip"],
  "references": {"table": "sellers", "columns": ["name", "zip"], "on_delete": "CASCADE"},
  "up": {"sellers_name": "SELECT CASE WHEN sellers_name IN ('alice', 'bob') THEN sellers_name ELSE 'alice' END",
         "sellers_zip": "SELECT CASE WHEN sellers_name IN ('alice', 'bob') THEN sellers_zip ELSE 1 END"},
  "down": {"sellers_name": "sellers_name", "sellers_zip": "sellers_zip"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('con');
SELECT pgshift.complete('con');   -- the unique copy collides with the rewritten pairs: the worker said so
SELECT pgshift.rollback('con') ->> 'status';
SELECT conname FROM pg_constraint WHERE conrelid = 'con.tickets'::regclass ORDER BY 1;

-- drop_constraint (one column) and drop_multicolumn_constraint
SELECT pgshift.start('con', $${"name": "04_drop", "operations": [
  {"drop_constraint": {"table": "tickets", "name": "title_length", "up": "title",
    "down": "SELECT CASE WHEN length(title) <= 3 THEN lpad(title, 4, '-') ELSE title END"}},
  {"drop_multicolumn_constraint": {"table": "tickets", "name": "check_zip_name",
    "up": {"sellers_name": "sellers_name", "sellers_zip": "sellers_zip"},
    "down": {"sellers_name": "sellers_name", "sellers_zip": "SELECT CASE WHEN sellers_name <> 'alice' AND sellers_zip <= 0 THEN 1 ELSE sellers_zip END"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('con');
SET search_path TO con_04_drop;
INSERT INTO tickets (sellers_name, sellers_zip, title) VALUES ('frank', -7, 'ab');   -- allowed now
RESET search_path;
SELECT sellers_name, sellers_zip, title FROM con_03_check.tickets WHERE sellers_name = 'frank';   -- old view: down
SELECT pgshift.complete('con') ->> 'status';
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'con.tickets'::regclass ORDER BY 1;

-- On a table the same migration creates, the constraint is simply added (pgroll example 55).
SELECT pgshift.start('con', $${"name": "05_tasks", "operations": [
  {"create_table": {"name": "tasks", "columns": [{"name": "id", "type": "serial"}, {"name": "title", "type": "text"}]}},
  {"create_constraint": {"name": "tasks_pkey", "table": "tasks", "columns": ["id"], "type": "primary_key",
    "up": {"id": "id"}, "down": {"id": "id"}}}]}$$) ->> 'jobs' AS jobs;
SELECT pgshift.complete('con') ->> 'status';
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'con.tasks'::regclass;

-- Refused: missing up/down entries, unknown constraint, wrong drop operation, redundant entries.
SELECT pgshift.start('con', $${"name": "06", "operations": [{"create_constraint": {"type": "unique", "table": "tickets",
  "name": "u2", "columns": ["title"], "up": {}, "down": {}}}]}$$);
SELECT pgshift.start('con', $${"name": "06", "operations": [{"drop_constraint": {"table": "tickets", "name": "nope", "down": "x"}}]}$$);
SELECT pgshift.start('con', $${"name": "06", "operations": [{"drop_constraint": {"table": "tickets", "name": "unique_zip_name", "down": "x"}}]}$$);
SELECT pgshift.start('con', $${"name": "06", "operations": [{"drop_multicolumn_constraint": {"table": "tickets", "name": "unique_zip_name",
  "down": {"sellers_name": "sellers_name", "sellers_zip": "sellers_zip", "title": "title"}}}]}$$);
