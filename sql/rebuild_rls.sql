-- rebuild_table of a table with row-level security: the rebuild gets its policies and has it on,
-- so a client that reads and writes through the new version (security_invoker views) sees and may
-- write what it could before, no more; after complete the table has the same policies. A table that
-- forces row-level security on its owner is refused (the mirror triggers write as the owner).
\set SHOW_CONTEXT never
CREATE SCHEMA rs;
CREATE ROLE rs_alice;
CREATE ROLE rs_bob;
SELECT pgshift.start('rs', $${"name": "01", "operations": [
  {"create_table": {"name": "note", "columns": [{"name": "id", "type": "int", "pk": true},
    {"name": "author", "type": "text"}, {"name": "body", "type": "text", "nullable": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('rs') ->> 'status';
INSERT INTO rs.note SELECT g, CASE WHEN g % 2 = 0 THEN 'rs_alice' ELSE 'rs_bob' END, 'note ' || g FROM generate_series(1, 10) g;
ALTER TABLE rs.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON rs.note FOR ALL TO rs_alice, rs_bob USING (author = current_user) WITH CHECK (author = current_user);
CREATE POLICY no_empty ON rs.note AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (body <> '');
GRANT USAGE ON SCHEMA rs, rs_01 TO rs_alice, rs_bob;
GRANT SELECT, INSERT, UPDATE ON rs.note, rs_01.note TO rs_alice, rs_bob;
CREATE TEMP TABLE policies_before AS
  SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'rs';

-- Forced on the owner: refused, nothing changed.
ALTER TABLE rs.note FORCE ROW LEVEL SECURITY;
SELECT pgshift.start('rs', $${"name": "bad", "operations": [{"rebuild_table": {"table": "note",
  "partition_by": {"strategy": "hash", "columns": ["id"]},
  "partitions": [{"name": "note_0", "modulus": 2, "remainder": 0}, {"name": "note_1", "modulus": 2, "remainder": 1}]}}]}$$);
ALTER TABLE rs.note NO FORCE ROW LEVEL SECURITY;
SELECT pgshift.is_active('rs') AS active;

SELECT pgshift.start('rs', $${"name": "02", "operations": [{"rebuild_table": {"table": "note",
  "partition_by": {"strategy": "hash", "columns": ["id"]},
  "partitions": [{"name": "note_0", "modulus": 2, "remainder": 0}, {"name": "note_1", "modulus": 2, "remainder": 1}]}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('rs');
GRANT USAGE ON SCHEMA rs_02 TO rs_alice, rs_bob;
SELECT relname, relrowsecurity FROM pg_class WHERE oid = 'rs._pgshift_rebuild_note'::regclass;
SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies
 WHERE schemaname = 'rs' AND tablename = '_pgshift_rebuild_note' ORDER BY policyname;
-- Through the new version each author sees and writes her own notes only; through the old one too.
SET ROLE rs_alice;
SELECT id, author FROM rs_02.note ORDER BY id;
INSERT INTO rs_02.note VALUES (11, 'rs_alice', 'new by alice');
INSERT INTO rs_02.note VALUES (12, 'rs_bob', 'forged by alice');
INSERT INTO rs_02.note VALUES (13, 'rs_alice', '');
UPDATE rs_02.note SET body = 'changed' WHERE id = 1;   -- bob's: not hers to see
RESET ROLE;
SET ROLE rs_bob;
SELECT id, author, body FROM rs_01.note ORDER BY id;
UPDATE rs_01.note SET body = 'changed by bob' WHERE id = 1;
RESET ROLE;
SELECT id, author, body FROM rs_02.note WHERE id IN (1, 11, 12, 13) ORDER BY id;

SELECT pgshift.complete('rs') ->> 'status';
SELECT relkind, relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'rs.note'::regclass;
SELECT (SELECT count(*) FROM policies_before) AS policies_before,
       (SELECT count(*) FROM (SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'rs'
                              INTERSECT SELECT * FROM policies_before) same) AS same_after;
SET ROLE rs_bob;
SELECT id, author FROM rs.note ORDER BY id;
RESET ROLE;
DROP SCHEMA rs, rs_02 CASCADE;
DROP ROLE rs_alice;
DROP ROLE rs_bob;
