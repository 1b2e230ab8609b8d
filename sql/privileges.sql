-- Least privilege: a role that owns its schema and tables runs the whole cycle without superuser;
-- an application role sees through the version schema only what the tables grant it, and
-- row-level security still applies (the views are security_invoker).
\set SHOW_CONTEXT never
CREATE ROLE pgshift_owner LOGIN;
CREATE ROLE pgshift_app LOGIN;
CREATE SCHEMA lp AUTHORIZATION pgshift_owner;
-- What the owner needs: to create version schemas. No rights on pgshift's tables: the API writes them.
SELECT format('GRANT CREATE ON DATABASE %I TO pgshift_owner', current_database()) \gexec
SET ROLE pgshift_owner;
SELECT pgshift.start('lp', $${"name": "01", "operations": [{"create_table": {"name": "orders", "columns": [
  {"name": "id", "type": "int", "pk": true}, {"name": "tenant", "type": "text"}, {"name": "total", "type": "int"}]}},
  {"create_table": {"name": "secrets", "columns": [{"name": "id", "type": "int", "pk": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('lp') ->> 'status';
GRANT USAGE ON SCHEMA lp TO pgshift_app;
GRANT SELECT, INSERT ON lp.orders TO pgshift_app;
ALTER TABLE lp.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_tenant ON lp.orders USING (tenant = current_user) WITH CHECK (tenant = current_user);
INSERT INTO lp.orders VALUES (1, 'pgshift_app', 10), (2, 'someone_else', 20);
SELECT pgshift.start('lp', $${"name": "02", "operations": [{"add_column": {"table": "orders", "up": "total * 100",
  "column": {"name": "total_cents", "type": "bigint", "nullable": true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('lp');
RESET ROLE;
SET ROLE pgshift_app;
SELECT * FROM lp_02.orders;                 -- only its own row
INSERT INTO lp_02.orders (id, tenant, total, total_cents) VALUES (3, 'pgshift_app', 1, 100);
INSERT INTO lp_02.orders (id, tenant, total) VALUES (4, 'someone_else', 1);   -- the policy refuses
UPDATE lp_02.orders SET total = 5;         -- no UPDATE privilege on the table
SELECT * FROM lp_02.secrets;               -- no privilege on that table
RESET ROLE;
SET ROLE pgshift_owner;
SELECT pgshift.complete('lp') ->> 'status';
SELECT id, tenant, total, total_cents FROM lp.orders ORDER BY id;
RESET ROLE;
SELECT has_schema_privilege('pgshift_app', 'lp_02', 'USAGE') AS app_uses_version,
       has_table_privilege('pgshift_app', 'lp_02.orders', 'SELECT') AS app_reads_view,
       has_table_privilege('pgshift_app', 'lp_02.secrets', 'SELECT') AS app_reads_secrets;
SET client_min_messages = warning;
DROP SCHEMA lp CASCADE;
DROP SCHEMA lp_02 CASCADE;
DELETE FROM pgshift.jobs WHERE schema = 'lp';
DELETE FROM pgshift.migrations WHERE schema = 'lp' AND parent IS NOT NULL;
DELETE FROM pgshift.migrations WHERE schema = 'lp';
SELECT format('REVOKE CREATE ON DATABASE %I FROM pgshift_owner', current_database()) \gexec
DROP ROLE pgshift_owner;
DROP ROLE pgshift_app;
