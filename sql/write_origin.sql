-- Which version a write is comes from what it writes through: a view of the new version schema is
-- the new version, a view of the previous one the old, whatever search_path says (clients that
-- name the schema in every statement, as pg-boss and ORMs with a schema option do); the table
-- itself is the old version (issue 10, case 2). And a view column's default is the one the client
-- would get from the table (case 7).
\set SHOW_CONTEXT never
CREATE SCHEMA wo;
SELECT pgshift.start('wo', $${"name": "01", "operations": [
  {"create_table": {"name": "job", "columns": [
    {"name": "id", "type": "int", "pk": true},
    {"name": "amount", "type": "text", "default": "'3'"},
    {"name": "note", "type": "text", "nullable": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('wo') ->> 'status';
INSERT INTO wo.job (id, amount, note) SELECT g, g::text, 'n' || g FROM generate_series(1, 100) g;
SELECT pgshift.start('wo', $${"name": "02", "operations": [
  {"alter_column": {"table": "job", "column": "amount", "type": "integer",
    "up": "CAST(amount AS integer) * 10", "down": "CAST(amount / 10 AS text)"}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('wo');
-- wo.check(): the ids where the versions disagree (new must be old * 10).
CREATE FUNCTION wo.disagree() RETURNS TABLE (id int, old text, new int) LANGUAGE sql AS $$
  SELECT id, o.amount, n.amount FROM wo_01.job o FULL JOIN wo_02.job n USING (id)
   WHERE n.amount IS DISTINCT FROM o.amount::int * 10 ORDER BY id $$;

-- Named schemas, search_path left as it is ("$user", public): each view is its own version.
INSERT INTO wo_02.job (id, amount) VALUES (1001, 500);
UPDATE wo_02.job SET amount = 70 WHERE id = 7;
INSERT INTO wo_01.job (id, amount) VALUES (1002, '6');
UPDATE wo_01.job SET amount = '8' WHERE id = 8;
-- ... and with search_path naming the other version, or the managed schema.
SET search_path TO wo_01;
UPDATE wo_02.job SET amount = 90 WHERE id = 9;
SET search_path TO wo_02, wo;
UPDATE wo_01.job SET amount = '11' WHERE id = 11;
RESET search_path;
-- Prepared statements (the extended protocol's named statements work the same way).
PREPARE new_amount(int, int) AS UPDATE wo_02.job SET amount = $2 WHERE id = $1;
EXECUTE new_amount(12, 120);
EXECUTE new_amount(13, 130);
-- Statements inside SQL and PL/pgSQL functions.
CREATE FUNCTION wo.set_new_sql(i int, a int) RETURNS void LANGUAGE sql AS 'UPDATE wo_02.job SET amount = a WHERE id = i';
CREATE FUNCTION wo.set_new_plpgsql(i int, a int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE wo_02.job SET amount = a WHERE id = i;
END $$;
SELECT wo.set_new_sql(14, 140), wo.set_new_plpgsql(15, 150);
-- INSERT ... ON CONFLICT DO UPDATE and UPDATE ... FROM through the views.
INSERT INTO wo_02.job AS j (id, amount) VALUES (16, 160), (1003, 1000) ON CONFLICT (id) DO UPDATE SET amount = excluded.amount;
INSERT INTO wo_01.job AS j (id, amount) VALUES (17, '17') ON CONFLICT (id) DO UPDATE SET amount = excluded.amount;
UPDATE wo_02.job j SET amount = v.a FROM (VALUES (18, 180), (19, 190)) v(i, a) WHERE j.id = v.i;
-- A write that touches another column keeps the changed one as it is, in both versions.
UPDATE wo_02.job SET note = 'other column' WHERE id = 20;
UPDATE wo_01.job SET note = 'other column' WHERE id = 21;
SELECT o.id, o.amount AS old, n.amount AS new FROM wo_01.job o JOIN wo_02.job n USING (id)
 WHERE o.id IN (7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 1001, 1002, 1003) ORDER BY 1;
SELECT * FROM wo.disagree();

-- The table itself holds the old version's columns: a write to it is the old version's (up), even
-- with the new version first in search_path, where down would replace what the client wrote
-- (0.1.0 decided by search_path and lost these writes).
SET search_path TO wo_02, wo;
UPDATE wo.job SET amount = '31' WHERE id = 31;
INSERT INTO wo.job (id, amount) VALUES (1008, '8');
RESET search_path;
SELECT id, amount, _pgshift_new_amount FROM wo.job WHERE id IN (31, 1008) ORDER BY id;
UPDATE wo.job SET amount = '23' WHERE id = 23;
SELECT amount, _pgshift_new_amount FROM wo.job WHERE id = 23;
-- Only an UPDATE that sets pgshift's new column, and not the old one, is the new version's (down).
UPDATE wo.job SET _pgshift_new_amount = 2220 WHERE id = 22;
SELECT amount, _pgshift_new_amount FROM wo.job WHERE id = 22;
-- Reading a view while writing the table is a write to the table.
INSERT INTO wo.job (id, amount) SELECT 1004, (amount / 10 + 1)::text FROM wo_02.job WHERE id = 24;
SELECT amount, _pgshift_new_amount FROM wo.job WHERE id = 1004;
-- So is COPY, and a view of the user's own over the table.
SET search_path TO wo_01;
COPY wo.job (id, amount) FROM stdin;
1005	55
\.
RESET search_path;
CREATE VIEW wo.mine AS SELECT id, amount FROM wo.job;
UPDATE wo.mine SET amount = '25' WHERE id = 25;
SELECT id, amount, _pgshift_new_amount FROM wo.job WHERE id IN (25, 1005) ORDER BY id;
SELECT * FROM wo.disagree();

-- One statement writing the table through both versions has no right direction: refused.
WITH first AS (UPDATE wo_01.job SET amount = '26' WHERE id = 26 RETURNING 1)
UPDATE wo_02.job SET amount = 2700 WHERE id = 27;

-- Nor can one statement write it both through a version's view and directly.
WITH first AS (UPDATE wo.job SET amount = '26' WHERE id = 26 RETURNING 1)
UPDATE wo_02.job SET amount = 2700 WHERE id = 27;
-- A DELETE through a version's view that feeds an INSERT through the same view (pg-boss 10 fails a job
-- so) is that version's write: the row comes back with the new version's value, both versions agree.
WITH gone AS (DELETE FROM wo_02.job WHERE id = 28 RETURNING id, amount)
INSERT INTO wo_02.job (id, amount) SELECT id, amount + 1 FROM gone;
SELECT id, o.amount AS old, n.amount AS new FROM wo_01.job o JOIN wo_02.job n USING (id) WHERE id = 28;
-- A DELETE of the table itself beside a write through a view is refused as any direct write there is
-- (pgshift cannot tell the DELETE from an UPDATE among the result relations); the row is unchanged.
WITH gone AS (DELETE FROM wo.job WHERE id = 29 RETURNING id)
INSERT INTO wo_02.job (id, amount) SELECT id, 290 FROM gone;
SELECT id, o.amount AS old, n.amount AS new FROM wo_01.job o JOIN wo_02.job n USING (id) WHERE id = 29;
-- An UPDATE that sets pgshift's new column to what it holds (as the backfill's own statement does)
-- changes nothing in it: it stays the old version's, and the old column keeps its value.
UPDATE wo.job SET _pgshift_new_amount = _pgshift_new_amount, amount = amount WHERE id = 32;
UPDATE wo.job SET _pgshift_new_amount = _pgshift_new_amount WHERE id = 33;
SELECT id, amount, _pgshift_new_amount FROM wo.job WHERE id IN (32, 33) ORDER BY id;

-- A new session's very first statement, a write through the new version: planning it loads
-- pgshift's library, before the statement starts.
\c
INSERT INTO wo_02.job (id, amount) VALUES (1009, 90);
\c
UPDATE wo_02.job SET amount = 340 WHERE id = 34;
\set SHOW_CONTEXT never
SELECT o.id, o.amount AS old, n.amount AS new FROM wo_01.job o JOIN wo_02.job n USING (id) WHERE o.id IN (34, 1009) ORDER BY 1;

-- The table's own BEFORE triggers run before pgshift's (whose name sorts after theirs): what they
-- do to a row reaches both versions.
CREATE FUNCTION wo.round_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.amount := (ceil(NEW.amount::numeric / 5) * 5)::int::text; RETURN NEW; END $$;
CREATE TRIGGER round_amount BEFORE INSERT OR UPDATE ON wo.job FOR EACH ROW EXECUTE FUNCTION wo.round_up();
UPDATE wo_01.job SET amount = '37' WHERE id = 35;
SELECT o.amount AS old, n.amount AS new FROM wo_01.job o JOIN wo_02.job n USING (id) WHERE o.id = 35;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'wo.job'::regclass ORDER BY tgname COLLATE "C";
DROP TRIGGER round_amount ON wo.job;

-- Defaults: SET c = DEFAULT through a view gives the table column's default (in each version its own).
UPDATE wo_02.job SET amount = DEFAULT WHERE id = 28;
UPDATE wo_01.job SET amount = DEFAULT WHERE id = 29;
INSERT INTO wo_02.job (id) VALUES (1006);
INSERT INTO wo_02.job VALUES (1007, DEFAULT, DEFAULT);
SELECT o.id, o.amount AS old, n.amount AS new FROM wo_01.job o JOIN wo_02.job n USING (id) WHERE o.id IN (28, 29, 1006, 1007) ORDER BY 1;
-- The user's view needs the old column, which complete drops: complete says so and changes nothing.
SELECT pgshift.complete('wo') ->> 'status';
DROP VIEW wo.mine;
SELECT pgshift.complete('wo') ->> 'status';
UPDATE wo_02.job SET amount = DEFAULT WHERE id = 30;
SELECT amount FROM wo_02.job WHERE id = 30;

-- Identity and serial columns: their views take the next value too.
SELECT pgshift.start('wo', $${"name": "03", "operations": [
  {"create_table": {"name": "tickets", "columns": [
    {"name": "id", "type": "bigint GENERATED BY DEFAULT AS IDENTITY", "pk": true},
    {"name": "seq", "type": "serial"},
    {"name": "label", "type": "text", "default": "'new'"}]}}]}$$) ->> 'status';
INSERT INTO wo_03.tickets (label) VALUES ('a');
INSERT INTO wo_03.tickets VALUES (DEFAULT, DEFAULT, DEFAULT);
UPDATE wo_03.tickets SET id = DEFAULT, seq = DEFAULT, label = DEFAULT WHERE id = 1;
SELECT id, seq, label FROM wo_03.tickets ORDER BY id;
SELECT pgshift.complete('wo') ->> 'status';
