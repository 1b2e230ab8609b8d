-- rename_column and drop_column: the new version shows the new shape at once, the table changes at
-- complete; drop_column's `down` fills the dropped column for writes through the new version.
\set SHOW_CONTEXT never
CREATE SCHEMA rd;
SELECT pgshift.start('rd', '{"name": "01", "operations": [{"create_table": {"name": "employees", "columns": [
  {"name": "id", "type": "serial", "pk": true}, {"name": "role", "type": "varchar(255)"},
  {"name": "price", "type": "numeric(10,2)"}, {"name": "note", "type": "text", "nullable": true}]}}]}') ->> 'status';
SELECT pgshift.complete('rd') ->> 'status';
INSERT INTO rd.employees (role, price) VALUES ('dev', 10), ('ops', 20);

SELECT pgshift.start('rd', $${"name": "02", "operations": [
  {"rename_column": {"table": "employees", "from": "role", "to": "job_title"}},
  {"drop_column": {"table": "employees", "column": "price", "down": "0"}},
  {"drop_column": {"table": "employees", "column": "note"}}]}$$) ->> 'jobs' AS jobs;
SELECT * FROM rd_01.employees ORDER BY id;
SELECT * FROM rd_02.employees ORDER BY id;
-- New version (clients pick it with search_path): the new name, no price; the hidden NOT NULL
-- price gets `down`.
SET search_path TO rd_02;
INSERT INTO employees (job_title) VALUES ('qa');
UPDATE employees SET job_title = 'senior dev' WHERE id = 1;
-- Old version: still the old shape.
SET search_path TO rd_01;
INSERT INTO employees (role, price, note) VALUES ('pm', 30, 'x');
RESET search_path;
SELECT * FROM rd.employees ORDER BY id;
SELECT pgshift.complete('rd') ->> 'status';
SELECT attname FROM pg_attribute WHERE attrelid = 'rd.employees'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT * FROM rd_02.employees ORDER BY id;

-- Rollback leaves the table as it was.
CREATE TEMP TABLE before_start AS SELECT pgshift.read_schema('rd') AS snapshot;
-- (after the rename, the old name is gone from the new version)
SELECT pgshift.start('rd', $${"name": "03", "operations": [
  {"rename_column": {"table": "employees", "from": "job_title", "to": "title"}},
  {"drop_column": {"table": "employees", "column": "job_title", "down": "'x'"}}]}$$);
SELECT pgshift.start('rd', $${"name": "03", "operations": [
  {"rename_column": {"table": "employees", "from": "job_title", "to": "title"}},
  {"drop_column": {"table": "employees", "column": "title", "down": "'x'"}}]}$$) ->> 'status';
SELECT pgshift.rollback('rd') ->> 'status';
SELECT pgshift.read_schema('rd') = snapshot AS unchanged FROM before_start;

-- Refused: missing column, name taken, primary key column.
SELECT pgshift.start('rd', '{"name": "03", "operations": [{"rename_column": {"table": "employees", "from": "nope", "to": "x"}}]}');
SELECT pgshift.start('rd', '{"name": "03", "operations": [{"rename_column": {"table": "employees", "from": "id", "to": "job_title"}}]}');
SELECT pgshift.start('rd', '{"name": "03", "operations": [{"drop_column": {"table": "employees", "column": "id"}}]}');
SELECT pgshift.start('rd', '{"name": "03", "operations": [{"drop_column": {"table": "employees", "column": "nope"}}]}');
