\echo Use "ALTER EXTENSION pgshift UPDATE TO '0.2.0'" to load this file. \quit

-- pgshift 0.1.0 -> 0.2.0. CREATE EXTENSION pgshift runs pgshift--0.1.0.sql and then this script, so
-- a new database and an updated one end up with the same objects; every later version adds one
-- script like this. What changed:
--   * A write's version comes from the view it goes through (the library's executor hook); the
--     version views carry a condition that loads the library when a write through them is planned,
--     WITH LOCAL CHECK OPTION so that an INSERT plans it too, and the table columns' defaults.
--   * A migration with backfills builds its version schema under a pending name, with views that
--     refuse every use, and the worker's last job (kind 'publish') opens it once every row is filled.
--   * start refuses what could never complete (a column others depend on, a backfill that row-level
--     security would cut short); complete and rollback say what happened and the exact next step;
--     rollback takes the job lock, so that no index the worker builds outlives it.
--   * Schema names are looked up by name, not through ::regnamespace (which needs quoting).
--   * Ownership (README, "Security model"): the functions that change state are one C gate that
--     runs their implementation as the extension's owner after checking the caller; migrations
--     record the role that started them and run their SQL, worker and complete/rollback as it;
--     nobody else writes pgshift's tables (row-level security for reading); DDL capture runs as
--     the owner; the worker's job of opening a version is pgshift.publish_version.

-- A backfill that 0.1.0 started runs with its version schema open already (0.1.0 opened it at
-- start): until it is done, new-version writes can destroy old values it has not copied. Finish it
-- under 0.1.0's rules first.
DO $upgrade$
DECLARE
    j record;
BEGIN
    SELECT m.schema, m.name INTO j FROM pgshift.jobs jb JOIN pgshift.migrations m ON m.schema = jb.schema AND m.name = jb.migration
     WHERE NOT m.done AND jb.state <> 'done' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'migration "%" of schema "%" has jobs that are not done: pgshift cannot be updated in the middle of them', j.name, j.schema
            USING ERRCODE = '55000',
                  HINT = format('Wait for them (CALL pgshift.wait_for_jobs(%L)), or complete or roll the migration back; then run ALTER EXTENSION pgshift UPDATE again.', j.schema);
    END IF;
END $upgrade$;

-- Each migration runs as the role that started it: its DDL, its worker's jobs, its complete and its
-- rollback, whoever calls them (README, "Security model"). NULL for migrations 0.1.0 recorded:
-- the owner of their schema stands in.
ALTER TABLE pgshift.migrations ADD COLUMN role regrole;
COMMENT ON COLUMN pgshift.migrations.role IS 'the role that started the migration, which it runs as';
-- A migration 0.1.0 left in progress: the role that started it made its version schema.
UPDATE pgshift.migrations m SET role = n.nspowner::regrole
  FROM pg_catalog.pg_namespace n
 WHERE NOT m.done AND n.nspname = m.version_schema;

-- Jobs: publishing a version schema is a job too.
ALTER TABLE pgshift.jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE pgshift.jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('sql', 'backfill', 'publish'));
COMMENT ON COLUMN pgshift.jobs.statement IS
    'sql: the statement; backfill: one batch ($1 cursor, $2 size) returning (rows, next cursor), none when done; publish: the call that opens the version schema';

-- The processes holding pgshift's advisory lock (key, hashtext(schema)) in this database: the
-- worker's (1886610293), the job lock (1886610295), a CLI run's (1886610294).
CREATE FUNCTION pgshift._advisory_holders(key integer, schema name) RETURNS integer[]
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(l.pid) FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
       AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
       AND l.classid::bigint = $1 AND l.objid::bigint = (hashtext($2)::bigint & 4294967295)
$$;
COMMENT ON FUNCTION pgshift._advisory_holders(integer, name) IS
    'pgshift internal: the processes that hold one of pgshift''s advisory locks on a schema';


CREATE OR REPLACE FUNCTION pgshift.worker_running(schema name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- The worker holds this session-level advisory lock while it runs.
    SELECT pgshift._advisory_holders(1886610293, $1) IS NOT NULL
$$;
COMMENT ON FUNCTION pgshift.worker_running(name) IS 'pgshift: whether the background worker of the schema is running';


DROP FUNCTION pgshift.version_schema_sql(name, name, jsonb, jsonb);
CREATE FUNCTION pgshift.version_schema_sql(schema name, version_schema name, current_schema jsonb, view_overlay jsonb,
                                           options jsonb DEFAULT '{}')
    RETURNS text[]
    AS 'MODULE_PATHNAME', 'pgshift_version_schema_sql' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION pgshift.version_schema_sql(name, name, jsonb, jsonb, jsonb) IS
    'pgshift: the statements that create a version schema with one view per table (options: pending, replace, version_name)';


-- The conditions of the version views (extension/core/version_views.hpp): planning a write through a
-- view calls one of them, which loads pgshift's library and with it the hook that tells the
-- dual-write trigger which version the write came through. They must stay executable by everyone
-- who may use the views.
CREATE FUNCTION pgshift._version_view_open() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_version_view_open' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION pgshift._version_view_open() IS
    'pgshift internal: the condition of an open version view (true, folded away when planned)';

CREATE FUNCTION pgshift._version_view_pending(version text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_version_view_pending' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION pgshift._version_view_pending(text) IS
    'pgshift internal: the condition of a version view not published yet (raises: its backfill runs)';


-- Internal helpers
CREATE OR REPLACE FUNCTION pgshift._lock(schema name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run_holder integer;
    holders integer[];
BEGIN
    -- A session that already holds the key (the CLI does) passes: advisory locks are re-entrant.
    IF NOT pg_try_advisory_xact_lock(pgshift.lock_key(), hashtext(schema)) THEN
        RAISE EXCEPTION 'another pgshift run is migrating schema "%"', schema
            USING ERRCODE = '55P03', HINT = 'Wait for it to finish, then try again.';
    END IF;
    -- A pgshift CLI holds its run lock (key 1886610294, hashtext(schema)) on a connection of its own
    -- for a whole run of several calls; its calls name that connection in pgshift.run_lock_holder.
    -- Anybody else's call waits for the run to end, as it would for the CLI's own; and a run whose
    -- lock connection is gone (killed, or cut by a pooler) stops instead of going on unprotected.
    run_holder := nullif(current_setting('pgshift.run_lock_holder', true), '0')::integer;
    holders := pgshift._advisory_holders(1886610294, schema);
    IF run_holder IS NOT NULL AND NOT coalesce(run_holder = ANY (holders), false) THEN
        RAISE EXCEPTION 'this pgshift run lost its lock on schema "%": its lock connection (process %) is gone', schema, run_holder
            USING ERRCODE = '55000', HINT = 'Nothing was changed by this call. Run the command again.';
    ELSIF run_holder IS NULL AND holders IS NOT NULL THEN
        RAISE EXCEPTION 'a pgshift run (process %) is migrating schema "%"', holders[1], schema
            USING ERRCODE = '55P03', HINT = 'Wait for it to finish, then try again.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
        RAISE EXCEPTION 'schema "%" does not exist', schema USING ERRCODE = '3F000';
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._lock(name) IS 'pgshift internal: takes the schema''s migration lock for this transaction';


-- Whoever may use the managed schema may use the version schema, and each view gets the privileges
-- its table has (the views are security_invoker, so the table's privileges and row-level security
-- apply as well). pgroll grants nothing, so least-privilege roles could not use its versions.
CREATE OR REPLACE FUNCTION pgshift._grant_like_tables(schema name, version_schema name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grant_row record;
BEGIN
    FOR grant_row IN
        SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
          FROM pg_namespace n, aclexplode(n.nspacl) a
         WHERE n.nspname = schema AND a.privilege_type = 'USAGE'
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', version_schema, grant_row.grantee);
    END LOOP;
    FOR grant_row IN
        SELECT u.view_name, a.privilege_type,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
          FROM information_schema.view_table_usage u
          JOIN pg_namespace n ON n.nspname = schema
          JOIN pg_class c ON c.relname = u.table_name AND c.relnamespace = n.oid,
               aclexplode(c.relacl) a
         WHERE u.view_schema = version_schema AND u.table_schema = schema
           AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
           AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON %I.%I TO %s', grant_row.privilege_type, version_schema, grant_row.view_name,
                       grant_row.grantee);
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._grant_like_tables(name, name) IS
    'pgshift internal: gives a version schema and its views the privileges of the schema and its tables';


-- A view column of an identity column (GENERATED BY DEFAULT) takes the next value of its sequence.
CREATE FUNCTION pgshift._view_identity_default(view_name text, view_column name, table_name text, table_column name)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sequence_name text := pg_get_serial_sequence(table_name, table_column);
BEGIN
    IF sequence_name IS NOT NULL THEN
        EXECUTE format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT pg_catalog.nextval(%L::pg_catalog.regclass)',
                       view_name, view_column, sequence_name);
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._view_identity_default(text, name, text, name) IS
    'pgshift internal: gives a view column the default of the identity column behind it';


DROP FUNCTION pgshift._create_version_schema(name, name, jsonb);
-- A pending version schema (pending = true) gets views that refuse every use, under a name nobody
-- uses, and no grants: _publish_version opens it once its backfill is done.
CREATE FUNCTION pgshift._create_version_schema(schema name, version_schema name, view_overlay jsonb,
                                               pending boolean DEFAULT false, version_name name DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stmt text;
    statements text[];
BEGIN
    -- Read under the pinned search_path, the table defaults copied onto the views name everything
    -- qualified; a default the migration itself gives (add_column) is the user's SQL and resolves
    -- in the managed schema, after pg_catalog, as start's statements do.
    statements := pgshift.version_schema_sql(schema, version_schema, pgshift.read_schema(schema), view_overlay,
                                             jsonb_build_object('pending', pending,
                                                                'version_name', coalesce(version_name, version_schema)));
    PERFORM set_config('search_path', format('pg_catalog, %I, pg_temp', schema), true);
    FOREACH stmt IN ARRAY statements LOOP
        EXECUTE stmt;
    END LOOP;
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
    IF NOT pending THEN
        PERFORM pgshift._grant_like_tables(schema, version_schema);
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._create_version_schema(name, name, jsonb, boolean, name) IS
    'pgshift internal: creates a version schema with one view per table of the schema (pending: not open yet)';


-- The worker's last job of a migration with backfills: every row has its new values now, so the
-- version schema opens. Its views are replaced by open ones and it takes its name, in one
-- transaction that takes no lock an application waits for. Nothing to do when the migration was
-- rolled back meanwhile (rollback holds the migration's row while it undoes it).
CREATE FUNCTION pgshift._publish_version(caller regrole, schema name, migration text) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    m pgshift.migrations;
    acting regrole;
    pending name;
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    SELECT * INTO m FROM pgshift.migrations ms
     WHERE ms.schema = _publish_version.schema AND ms.name = _publish_version.migration AND NOT ms.done FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    acting := pgshift._acting_role(caller, m);
    pending := m.plan->>'pending_schema';
    IF pending IS NULL OR NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = pending) THEN
        RETURN false;
    END IF;
    -- Opening it any earlier would show rows without their new values.
    IF EXISTS (SELECT FROM pgshift.jobs j WHERE j.schema = m.schema AND j.migration = m.name AND j.kind = 'backfill'
                                            AND j.state <> 'done') THEN
        RAISE EXCEPTION 'version schema "%" cannot open yet: the backfill of migration "%" is not done', m.version_schema, m.name
            USING ERRCODE = '55000', HINT = 'The worker opens it when the backfill is done (pgshift.backfill_progress).';
    END IF;
    -- The views are the migration's role's, as those start made.
    PERFORM pgshift._run_as(acting, 'SELECT pgshift._open_pending_schema($1, $2)', schema,
                            jsonb_build_object('pending', pending, 'version_schema', m.version_schema,
                                               'overlay', m.plan->'overlay'));
    RETURN true;
END $$;
COMMENT ON FUNCTION pgshift._publish_version(regrole, name, text) IS 'pgshift internal: publish_version, behind the gate';
CREATE FUNCTION pgshift.publish_version(schema name, migration text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.publish_version(name, text) IS
    'pgshift: opens the version schema of a migration whose backfills are done (the worker''s last job; refused before)';

-- What opening a version does, as the migration's role: open views in place of the gated ones,
-- and the version's name.
CREATE FUNCTION pgshift._open_pending_schema(schema name, version jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stmt text;
BEGIN
    FOREACH stmt IN ARRAY pgshift.version_schema_sql(schema, (version->>'pending')::name, pgshift.read_schema(schema),
                                                     version->'overlay', '{"replace": true}') LOOP
        EXECUTE stmt;
    END LOOP;
    IF EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = version->>'version_schema') THEN
        RAISE EXCEPTION 'version schema "%" cannot open: a schema of that name was made outside pgshift meanwhile',
                        version->>'version_schema'
            USING ERRCODE = '42P06',
                  HINT = format('Writes through it are not taken for the new version. Drop or rename it, then SELECT pgshift.backfill_resume(%L).', schema);
    END IF;
    EXECUTE format('ALTER SCHEMA %I RENAME TO %I', version->>'pending', version->>'version_schema');
    PERFORM pgshift._grant_like_tables(schema, (version->>'version_schema')::name);
END $$;
COMMENT ON FUNCTION pgshift._open_pending_schema(name, jsonb) IS
    'pgshift internal: replaces a pending version schema''s views by open ones and gives it the version''s name';


-- The schema's objects that a DROP can remove (tables, views, sequences, types, functions...), for
-- undoing raw SQL that has no `down`: what it created is dropped again at rollback.
CREATE OR REPLACE FUNCTION pgshift._schema_objects(schema name)
    RETURNS TABLE (oid oid, kind text, identity text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.oid, i.type, i.identity
      FROM (SELECT 'pg_class'::regclass AS classid, c.oid FROM pg_class c
             WHERE c.relnamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = $1)
               AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            UNION ALL
            SELECT 'pg_type'::regclass, t.oid FROM pg_type t
             WHERE t.typnamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = $1)
               AND t.typrelid = 0 AND t.typcategory <> 'A'
            UNION ALL
            SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p
             WHERE p.pronamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = $1)) o,
           LATERAL pg_identify_object(o.classid, o.oid, 0) i
$$;
COMMENT ON FUNCTION pgshift._schema_objects(name) IS 'pgshift internal: droppable objects of a schema';


-- Whether row-level security applies to the current role on the table: a backfill running as that
-- role would not see every row (the worker runs with row_security off, so it would fail instead).
CREATE FUNCTION pgshift._row_security_applies(table_oid oid, who regrole) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.relrowsecurity
           AND (c.relforcerowsecurity OR NOT pg_has_role($2, c.relowner, 'USAGE'))
           AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = $2 AND (r.rolsuper OR r.rolbypassrls))
      FROM pg_class c WHERE c.oid = $1
$$;
COMMENT ON FUNCTION pgshift._row_security_applies(oid, regrole) IS
    'pgshift internal: whether row-level security policies apply to a role on a table';


-- What keeps ALTER TABLE ... DROP COLUMN from dropping a column (a view, a generated column): the
-- objects that depend on it only normally, not automatically. pgshift's own version views do not
-- count: complete drops the previous version first, and the new one does not show the column.
CREATE FUNCTION pgshift._drop_blockers(schema name, table_oid oid, column_name name, pending name DEFAULT NULL)
    RETURNS text[]
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(DISTINCT CASE d.classid
                                   WHEN 'pg_rewrite'::regclass THEN (SELECT 'view ' || r.ev_class::regclass::text
                                                                       FROM pg_rewrite r WHERE r.oid = d.objid)
                                   WHEN 'pg_attrdef'::regclass THEN (SELECT pg_describe_object('pg_class'::regclass, ad.adrelid, ad.adnum)
                                                                       FROM pg_attrdef ad WHERE ad.oid = d.objid)
                                   ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END)
      FROM pg_depend d
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $2 AND a.attname = $3 AND d.deptype = 'n'
       AND NOT EXISTS (SELECT FROM pg_depend auto
                        WHERE auto.classid = d.classid AND auto.objid = d.objid AND auto.refclassid = d.refclassid
                          AND auto.refobjid = d.refobjid AND auto.refobjsubid = d.refobjsubid AND auto.deptype IN ('a', 'i'))
       AND NOT EXISTS (SELECT FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace n ON n.oid = v.relnamespace
                        WHERE d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
                          AND (n.nspname = $4 OR n.nspname IN (SELECT m.version_schema FROM pgshift.migrations m
                                                                WHERE m.schema = $1 AND m.version_schema IS NOT NULL)))
$$;
COMMENT ON FUNCTION pgshift._drop_blockers(name, oid, name, name) IS
    'pgshift internal: the objects that would keep complete from dropping a column';


-- Refuses, before anything changes, a migration that could never complete or whose backfill could
-- not see every row.
CREATE FUNCTION pgshift._check_completable(schema name, planned jsonb, pending name, who regrole) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    item jsonb;
    table_oid oid;
    blockers text[];
BEGIN
    FOR item IN SELECT j FROM jsonb_array_elements(planned->'jobs') j WHERE j->>'kind' = 'backfill' LOOP
        table_oid := to_regclass(format('%I.%I', schema, item->>'table'));
        IF table_oid IS NOT NULL AND pgshift._row_security_applies(table_oid, who) THEN
            RAISE EXCEPTION 'table "%" has row-level security that applies to role "%": its backfill could not see every row',
                            item->>'table', who
                USING ERRCODE = '42501',
                      HINT = 'Start the migration as the table''s owner (and ALTER TABLE ... NO FORCE ROW LEVEL SECURITY '
                             'while it runs), as a superuser, or as a role with BYPASSRLS.';
        END IF;
    END LOOP;
    FOR item IN SELECT c FROM jsonb_array_elements(coalesce(planned->'dropped_columns', '[]')) c LOOP
        table_oid := to_regclass(format('%I.%I', schema, item->>0));
        CONTINUE WHEN table_oid IS NULL;
        blockers := pgshift._drop_blockers(schema, table_oid, item->>1, pending);
        IF blockers IS NOT NULL THEN
            RAISE EXCEPTION 'column "%" of table "%" could never be dropped at complete: % depend% on it', item->>1, item->>0,
                            array_to_string(blockers, ', '), CASE WHEN cardinality(blockers) = 1 THEN 's' ELSE '' END
                USING ERRCODE = '2BP01',
                      HINT = 'Drop or change what depends on the column first (a generated column can be changed in the '
                             'same migration), then start the migration again.';
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._check_completable(name, jsonb, name, regrole) IS
    'pgshift internal: refuses a migration whose backfill or complete could not succeed';


-- Who may migrate a schema: superusers, and its owner and the members of its owner.
CREATE FUNCTION pgshift._may_migrate(who regrole, schema name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_roles r WHERE r.oid = $1 AND r.rolsuper)
        OR EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = $2 AND pg_has_role($1, n.nspowner, 'MEMBER'))
$$;
COMMENT ON FUNCTION pgshift._may_migrate(regrole, name) IS
    'pgshift internal: whether a role may migrate a schema (a superuser, or a member of its owner)';

CREATE FUNCTION pgshift._authorize(caller regrole, schema name) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = schema) THEN
        RAISE EXCEPTION 'schema "%" does not exist', schema USING ERRCODE = '3F000';
    END IF;
    IF NOT pgshift._may_migrate(caller, schema) THEN
        RAISE EXCEPTION 'role "%" may not migrate schema "%"', caller, schema
            USING ERRCODE = '42501',
                  HINT = format('Only the schema''s owner (%s), the members of that role and superusers may.',
                                (SELECT n.nspowner::regrole FROM pg_namespace n WHERE n.nspname = schema));
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._authorize(regrole, name) IS 'pgshift internal: raises unless the role may migrate the schema';

-- The role a migration runs as. Acting on it (complete, rollback, the jobs) means running what it
-- planned as that role: only the role, its members and superusers may; and the role must still be
-- allowed to migrate the schema.
CREATE FUNCTION pgshift._acting_role(caller regrole, m pgshift.migrations) RETURNS regrole
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    acting regrole := coalesce(m.role, (SELECT n.nspowner::regrole FROM pg_namespace n WHERE n.nspname = m.schema));
    successor regrole;
BEGIN
    IF acting IS NULL OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = acting) THEN
        -- Its objects went to another role before it could be dropped (REASSIGN OWNED): a superuser
        -- may act on the migration as that role, the owner of its version schema now (or else as
        -- the schema's owner).
        SELECT n.nspowner::regrole INTO successor FROM pg_namespace n
         WHERE n.nspname IN (m.version_schema, m.plan->>'pending_schema') AND pgshift._may_migrate(n.nspowner::regrole, m.schema)
         ORDER BY n.nspname = m.version_schema DESC LIMIT 1;
        successor := coalesce(successor, (SELECT n.nspowner::regrole FROM pg_namespace n WHERE n.nspname = m.schema));
        IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = caller AND r.rolsuper) OR successor IS NULL THEN
            RAISE EXCEPTION 'migration "%" of schema "%" was started by a role that no longer exists', m.name, m.schema
                USING ERRCODE = '42704', HINT = 'A superuser can complete or roll it back, as the role its objects went to.';
        END IF;
        RAISE WARNING 'migration "%" of schema "%" was started by a role that no longer exists: it runs as role "%"',
                      m.name, m.schema, successor;
        RETURN successor;
    END IF;
    IF NOT pg_has_role(caller, acting, 'MEMBER') THEN
        RAISE EXCEPTION 'migration "%" of schema "%" runs as role "%", which role "%" cannot act as', m.name, m.schema, acting, caller
            USING ERRCODE = '42501', HINT = format('Only %s, its members and superusers may act on it.', acting);
    END IF;
    IF NOT pgshift._may_migrate(acting, m.schema) THEN
        RAISE EXCEPTION 'migration "%" runs as role "%", which may no longer migrate schema "%"', m.name, acting, m.schema
            USING ERRCODE = '42501',
                  HINT = 'What it planned runs as that role: give the role back its membership in the schema''s owner, then complete or roll it back.';
    END IF;
    RETURN acting;
END $$;
COMMENT ON FUNCTION pgshift._acting_role(regrole, pgshift.migrations) IS
    'pgshift internal: the role a migration runs as, if the caller may act as it';

-- Functions of a third role that the schema's constraints (of tables and domains), defaults,
-- indexes, generated columns, policies, rules, views and triggers call, directly or through an
-- operator: they run with the rights of every client that uses the table. A function a superuser
-- or the object's owner owns is the owner's own business. `dependency` is (owner object, function):
-- an object that already called the function (a default copied onto a twin column) is no news.
CREATE FUNCTION pgshift._foreign_functions(schema name)
    RETURNS TABLE (dependency text, dependent text, function text, owner text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH uses AS (
        SELECT d.classid, d.objid, d.objsubid,
               CASE d.refclassid WHEN 'pg_proc'::regclass THEN d.refobjid
                    ELSE (SELECT o.oprcode::oid FROM pg_operator o WHERE o.oid = d.refobjid) END AS function_oid,
               CASE d.classid
                    WHEN 'pg_constraint'::regclass THEN (SELECT nullif(c.conrelid, 0) FROM pg_constraint c WHERE c.oid = d.objid)
                    WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                    WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
                    WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                    WHEN 'pg_trigger'::regclass THEN (SELECT t.tgrelid FROM pg_trigger t WHERE t.oid = d.objid)
                    ELSE coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = d.objid), d.objid) END AS table_oid,
               CASE d.classid WHEN 'pg_constraint'::regclass
                    THEN (SELECT nullif(c.contypid, 0) FROM pg_constraint c WHERE c.oid = d.objid) END AS domain_oid
          FROM pg_depend d
         WHERE d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass)
           AND d.classid IN ('pg_constraint'::regclass, 'pg_attrdef'::regclass, 'pg_class'::regclass, 'pg_policy'::regclass,
                             'pg_rewrite'::regclass, 'pg_trigger'::regclass)
           AND d.deptype = 'n'),
    owned AS (
        SELECT u.*, coalesce(t.relowner, ty.typowner) AS owner_oid, coalesce(t.relnamespace, ty.typnamespace) AS namespace_oid
          FROM uses u
          LEFT JOIN pg_class t ON t.oid = u.table_oid
          LEFT JOIN pg_type ty ON ty.oid = u.domain_oid)
    SELECT format('%s/%s', coalesce(o.table_oid, o.domain_oid), p.oid),
           pg_describe_object(o.classid, o.objid, o.objsubid), p.oid::regprocedure::text, p.proowner::regrole::text
      FROM owned o
      JOIN pg_proc p ON p.oid = o.function_oid
      JOIN pg_namespace n ON n.oid = o.namespace_oid AND n.nspname = $1
     WHERE p.proowner <> o.owner_oid
       AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = p.proowner AND r.rolsuper)
$$;
COMMENT ON FUNCTION pgshift._foreign_functions(name) IS
    'pgshift internal: functions of third roles that the schema''s objects call';

-- Raises if the schema's objects call a third role's function that they did not call before.
CREATE FUNCTION pgshift._refuse_foreign_functions(schema name, before text[]) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    f record;
BEGIN
    SELECT * INTO f FROM pgshift._foreign_functions(schema) x WHERE x.dependency <> ALL (coalesce(before, '{}')) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% calls function % of role "%", which is neither a superuser nor its owner', f.dependent, f.function, f.owner
            USING ERRCODE = '42501', DETAIL = 'It would run with the rights of every client that writes the table.',
                  HINT = 'Name the function you mean with its schema (pg_catalog.format(...)), or have the table''s owner own it.';
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._refuse_foreign_functions(name, text[]) IS
    'pgshift internal: refuses new calls of third roles'' functions from the schema''s constraints, defaults and indexes';

-- The name a version schema has until it is published: nobody uses it by accident.
CREATE FUNCTION pgshift._pending_name(version_schema text) RETURNS name
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ('_pgshift_pending_' || left(md5($1), 16))::name
$$;
COMMENT ON FUNCTION pgshift._pending_name(text) IS 'pgshift internal: the name of a version schema before it is published';


CREATE FUNCTION pgshift._start(caller regrole, schema name, migration jsonb, options jsonb) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    foreign_before text[];
    planned jsonb;
    active text;
    same pgshift.migrations;
    objects_before oid[];
    pending name;
    job_count integer;
    worker_started boolean := false;
    -- Jobs that wait for pgshift.backfill_resume (a backfill at a quieter hour).
    paused boolean := coalesce((options->>'paused')::boolean, false);
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._lock(schema);
    PERFORM pgshift._run_as(caller, 'SELECT pgshift._replace_version_views($1)', schema, NULL);
    -- The same migration again (another app instance, or a client killed after its start committed)
    -- finds the work done instead of failing on "already exists".
    SELECT m.* INTO same FROM pgshift.migrations m
     WHERE m.schema = _start.schema AND m.name = _start.migration->>'name' AND m.migration = _start.migration - 'name';
    IF FOUND THEN
        RETURN jsonb_build_object('name', same.name, 'version_schema', same.version_schema,
                                  'status', CASE WHEN same.done THEN 'Complete' ELSE 'In progress' END,
                                  'already_applied', true,
                                  'published', same.done OR NOT EXISTS (SELECT FROM pg_namespace n
                                                                         WHERE n.nspname = same.plan->>'pending_schema'),
                                  'jobs', (SELECT count(*) FROM pgshift.jobs j WHERE j.schema = same.schema AND j.migration = same.name));
    END IF;
    SELECT m.name INTO active FROM pgshift.migrations m WHERE m.schema = _start.schema AND NOT m.done;
    IF FOUND THEN
        RAISE EXCEPTION 'a migration of schema "%" is already in progress: "%"', schema, active
            USING ERRCODE = '55000', HINT = 'Complete or roll it back first.';
    END IF;
    -- The triggers know the new version by its pending name while it is not open (the planner puts
    -- it in their configuration when there is a backfill).
    planned := pgshift.plan_start(schema, migration, pgshift.read_schema(schema),
                                    jsonb_build_object('previous_version', pgshift.latest_version(schema),
                                                       'pending_version', pgshift._pending_name(
                                                           schema || '_' || coalesce(migration->>'version_schema', migration->>'name'))));
    IF EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = _start.schema AND m.name = planned->>'name') THEN
        RAISE EXCEPTION 'migration "%" was already applied to schema "%" with different content', planned->>'name', schema
            USING ERRCODE = '42710', HINT = 'Give the changed migration a new name.';
    END IF;
    IF EXISTS (SELECT FROM pg_namespace WHERE nspname = planned->>'version_schema') THEN
        RAISE EXCEPTION 'version schema "%" already exists', planned->>'version_schema'
            USING ERRCODE = '42P06', HINT = 'Give the migration another name or version_schema.';
    END IF;
    -- With backfills, the version schema is built now but opens only when they are done: until then
    -- some rows would show no value in the new version, and a write there could destroy the old one.
    IF EXISTS (SELECT FROM jsonb_array_elements(planned->'jobs') j WHERE j->>'kind' = 'backfill') THEN
        pending := pgshift._pending_name(planned->>'version_schema');
        IF EXISTS (SELECT FROM pg_namespace WHERE nspname = pending) THEN
            RAISE EXCEPTION 'schema "%" already exists', pending
                USING ERRCODE = '42P06', HINT = 'It is left from an earlier pgshift start; drop it if no migration uses it.';
        END IF;
        planned := planned || jsonb_build_object('pending_schema', pending);
    END IF;
    PERFORM pgshift._check_completable(schema, planned, pending, caller);
    INSERT INTO pgshift.migrations (schema, name, parent, migration, plan, version_schema, role)
    VALUES (schema, planned->>'name', pgshift.latest_migration(schema), migration - 'name', planned,
            planned->>'version_schema', caller);
    IF coalesce((planned->>'undo_by_snapshot')::boolean, false) THEN
        -- Raw SQL without `down`: rollback drops what it creates.
        objects_before := ARRAY(SELECT o.oid FROM pgshift._schema_objects(schema) o);
    END IF;
    foreign_before := ARRAY(SELECT f.dependency FROM pgshift._foreign_functions(schema) f);
    -- The migration's statements run as the caller, with no more rights than it has.
    PERFORM pgshift._run_as(caller, 'SELECT pgshift._execute($1, $2)', schema, planned->'start');
    PERFORM pgshift._refuse_foreign_functions(schema, foreign_before);
    IF objects_before IS NOT NULL THEN
        UPDATE pgshift.migrations m
           SET plan = jsonb_set(m.plan, '{rollback}', pgshift._drops_since(_start.schema, objects_before) || (m.plan->'rollback'))
         WHERE m.schema = _start.schema AND m.name = planned->>'name';
    END IF;
    PERFORM pgshift._run_as(caller, format('SELECT pgshift._create_version_schema($1, %L, $2, %L, %L)',
                                           coalesce(pending, (planned->>'version_schema')::name), pending IS NOT NULL,
                                           planned->>'version_schema'),
                            schema, planned->'overlay');
    -- What cannot run in this transaction goes to the worker, which starts once it has committed.
    INSERT INTO pgshift.jobs (schema, migration, step, kind, table_name, statement, cleanup, optional,
                              rows_estimated, batch_size, batch_delay_ms, state)
    SELECT schema, planned->>'name', j.step, j.job->>'kind', j.job->>'table', j.job->>'statement', j.job->>'cleanup',
           coalesce((j.job->>'optional')::boolean, false),
           (SELECT nullif(greatest(c.reltuples, -1), -1)::bigint FROM pg_class c
             WHERE j.job ? 'table' AND c.oid = to_regclass(format('%I.%I', schema, j.job->>'table'))),
           nullif((options->>'backfill_batch_size')::integer, 0),
           coalesce((options->>'backfill_batch_delay_ms')::integer, 0),
           CASE WHEN paused THEN 'paused' ELSE 'pending' END
      FROM jsonb_array_elements(planned->'jobs') WITH ORDINALITY AS j(job, step);
    GET DIAGNOSTICS job_count = ROW_COUNT;
    IF pending IS NOT NULL THEN
        INSERT INTO pgshift.jobs (schema, migration, step, kind, statement, state)
        VALUES (schema, planned->>'name', job_count + 1, 'publish',
                format('SELECT pgshift.publish_version(%L, %L)', schema, planned->>'name'),
                CASE WHEN paused THEN 'paused' ELSE 'pending' END);
        job_count := job_count + 1;
    END IF;
    IF job_count > 0 AND NOT paused THEN
        worker_started := pgshift._launch_worker(schema, caller);
    END IF;
    -- "worker": whether a worker could be started for the jobs (false: no free slot, see the warning).
    RETURN jsonb_strip_nulls(jsonb_build_object('name', planned->>'name', 'version_schema', planned->>'version_schema',
                                                'status', 'In progress', 'jobs', job_count, 'published', pending IS NULL,
                                                'worker', CASE WHEN job_count > 0 AND NOT paused THEN worker_started END));
END $$;
COMMENT ON FUNCTION pgshift._start(regrole, name, jsonb, jsonb) IS 'pgshift internal: start, behind the gate';

-- The functions that change pgshift's state are one C entry point, the gate
-- (extension/pg/api_gate.cpp): it notes the caller and runs pgshift._<name>(caller, ...) as the
-- extension's owner. The implementations check the caller first, and nobody else may run them.
CREATE OR REPLACE FUNCTION pgshift.start(schema name, migration jsonb, options jsonb DEFAULT '{}') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.start(name, jsonb, jsonb) IS
    'pgshift: validates and starts a migration (expand), all or nothing; backfills and concurrent index builds then run in a background worker, and a version schema whose tables are backfilled opens when they are done (options: backfill_batch_size, adaptive when absent; backfill_batch_delay_ms; paused: the jobs wait for backfill_resume)';

CREATE FUNCTION pgshift._backfill_batch(schema name, migration text, step integer) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pgshift_backfill_batch' LANGUAGE C STRICT;
COMMENT ON FUNCTION pgshift._backfill_batch(name, text, integer) IS
    'pgshift internal: runs one batch of a backfill job in this transaction, as the worker does (for tests of exact interleavings); NULL when the job is done or failed';
REVOKE ALL ON FUNCTION pgshift._backfill_batch(name, text, integer) FROM PUBLIC;


CREATE OR REPLACE FUNCTION pgshift._require_jobs_done(m pgshift.migrations) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j pgshift.jobs;
    what text;
    resume text := format('SELECT pgshift.backfill_resume(%L)', m.schema);
    wait text := format('CALL pgshift.wait_for_jobs(%L)', m.schema);
BEGIN
    SELECT * INTO j FROM pgshift.jobs
     WHERE jobs.schema = m.schema AND migration = m.name AND state <> 'done' ORDER BY step LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    what := CASE j.kind WHEN 'backfill' THEN format('the backfill of table "%s" (%s rows done)', j.table_name, j.rows_done)
                        WHEN 'publish' THEN 'the opening of its version schema'
                        ELSE format('job %s (%s)', j.step, left(j.statement, 60)) END;
    IF j.state = 'failed' THEN
        RAISE EXCEPTION 'migration "%" cannot complete: % failed: %', m.name, what, j.error
            USING ERRCODE = '55000',
                  HINT = format('Fix the cause, then %s retries it from where it stopped; or roll the migration back.', resume);
    ELSIF j.state = 'paused' THEN
        RAISE EXCEPTION 'migration "%" cannot complete yet: % is paused', m.name, what
            USING ERRCODE = '55000', HINT = format('%s resumes it; complete when it is done (%s waits).', resume, wait);
    ELSIF NOT pgshift.worker_running(m.schema) THEN
        RAISE EXCEPTION 'migration "%" cannot complete yet: % is not done, and no pgshift worker is running it', m.name, what
            USING ERRCODE = '55000',
                  HINT = format('The worker stopped (a server restart, or its process was ended): %s starts it again from '
                                'its last batch; complete when it is done (%s waits).', resume, wait);
    ELSE
        RAISE EXCEPTION 'migration "%" cannot complete yet: % is %', m.name, what, j.state
            USING ERRCODE = '55000', HINT = format('%s waits for it (pgshift.backfill_progress shows it); then complete.', wait);
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._require_jobs_done(pgshift.migrations) IS
    'pgshift internal: raises unless every job of the migration is done, saying what to do next';


-- Complete changes the migration's tables: they must still be there (a table dropped outside
-- pgshift while the migration ran leaves rollback as the way out), and nothing the user added
-- since start may keep it from dropping the old columns.
CREATE FUNCTION pgshift._require_completable(m pgshift.migrations) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    table_name text;
    item jsonb;
    table_oid oid;
    blockers text[];
BEGIN
    FOR table_name IN SELECT t FROM jsonb_array_elements_text(coalesce(m.plan->'dual_write_tables', '[]')) t LOOP
        IF to_regclass(format('%I.%I', m.schema, table_name)) IS NULL THEN
            RAISE EXCEPTION 'migration "%" cannot complete: its table "%" no longer exists (it was dropped or renamed outside pgshift)',
                            m.name, table_name
                USING ERRCODE = '42P01', HINT = format('Roll the migration back: SELECT pgshift.rollback(%L).', m.schema);
        END IF;
    END LOOP;
    FOR item IN SELECT c FROM jsonb_array_elements(coalesce(m.plan->'dropped_columns', '[]')) c LOOP
        table_oid := to_regclass(format('%I.%I', m.schema, item->>0));
        CONTINUE WHEN table_oid IS NULL;
        blockers := pgshift._drop_blockers(m.schema, table_oid, item->>1);
        IF blockers IS NOT NULL THEN
            RAISE EXCEPTION 'migration "%" cannot complete: column "%" of table "%" cannot be dropped: % depend% on it',
                            m.name, item->>1, item->>0, array_to_string(blockers, ', '),
                            CASE WHEN cardinality(blockers) = 1 THEN 's' ELSE '' END
                USING ERRCODE = '2BP01',
                      HINT = format('Drop what depends on the column and complete again, or roll the migration back '
                                    '(SELECT pgshift.rollback(%L)).', m.schema);
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._require_completable(pgshift.migrations) IS
    'pgshift internal: raises when the migration''s tables are gone or a column it drops has new dependents';


CREATE FUNCTION pgshift._complete(caller regrole, schema name) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    foreign_before text[];
    m pgshift.migrations;
    acting regrole;
    previous text;
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._lock(schema);
    m := pgshift._active(schema);
    acting := pgshift._acting_role(caller, m);
    PERFORM pgshift._run_as(acting, 'SELECT pgshift._replace_version_views($1)', schema, NULL);
    PERFORM pgshift._require_jobs_done(m);
    PERFORM pgshift._require_completable(m);
    -- The previous version's views go first: they may depend on columns the contract drops.
    SELECT v INTO previous FROM pgshift.live_versions(schema) v WHERE v IS DISTINCT FROM m.version_schema LIMIT 1;
    IF previous IS NOT NULL THEN
        PERFORM pgshift._run_as(acting, format('DROP SCHEMA %I CASCADE', previous), schema, NULL);
    END IF;
    foreign_before := ARRAY(SELECT f.dependency FROM pgshift._foreign_functions(schema) f);
    PERFORM pgshift._run_as(acting, 'SELECT pgshift._execute($1, $2)', schema, m.plan->'complete');
    PERFORM pgshift._refuse_foreign_functions(schema, foreign_before);
    IF coalesce((m.plan->>'refresh_views')::boolean, false) AND m.version_schema IS NOT NULL THEN
        PERFORM pgshift._run_as(acting, format('DROP SCHEMA IF EXISTS %I CASCADE', m.version_schema), schema, NULL);
        PERFORM pgshift._run_as(acting, format('SELECT pgshift._create_version_schema($1, %L, $2)', m.version_schema),
                                schema, '{}');
    END IF;
    UPDATE pgshift.migrations
       SET done = true, resulting_schema = pgshift.read_schema(m.schema), updated_at = clock_timestamp()
     WHERE migrations.schema = m.schema AND name = m.name;
    RETURN jsonb_build_object('name', m.name, 'version_schema', m.version_schema, 'status', 'Complete');
END $$;
COMMENT ON FUNCTION pgshift._complete(regrole, name) IS 'pgshift internal: complete, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.complete(schema name) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.complete(name) IS
    'pgshift: completes the active migration (contract) and drops the previous version schema';


-- Rollback must not race the worker: a concurrent index build it runs could leave an index behind,
-- and publishing could open a version being dropped. The worker runs such jobs holding the job lock
-- (extension/pg/job_worker.cpp); a long build of this migration is cancelled, then the lock is
-- taken (under the caller's lock_timeout) and held until the rollback commits, when the worker
-- finds the job gone.
CREATE FUNCTION pgshift._stop_jobs(schema name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    worker integer;
BEGIN
    worker := (pgshift._advisory_holders(1886610295, schema))[1];
    IF worker IS NOT NULL AND EXISTS (SELECT FROM pgshift.jobs j JOIN pgshift.migrations m ON m.schema = j.schema AND m.name = j.migration
                                       WHERE j.schema = _stop_jobs.schema AND NOT m.done AND j.kind = 'sql' AND j.state = 'running') THEN
        BEGIN
            PERFORM pg_cancel_backend(worker);
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;   -- then rollback waits for the build, as long as its lock_timeout allows
        END;
    END IF;
    PERFORM pg_advisory_xact_lock(1886610295, hashtext(schema));
END $$;
COMMENT ON FUNCTION pgshift._stop_jobs(name) IS
    'pgshift internal: makes the worker let go of the schema''s jobs for this transaction';


CREATE FUNCTION pgshift._rollback(caller regrole, schema name) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    foreign_before text[];
    m pgshift.migrations;
    acting regrole;
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._lock(schema);
    -- Whether the caller may act on the migration, before touching the worker (the row is read
    -- without a lock here; the locked read below follows the job lock).
    SELECT * INTO m FROM pgshift.migrations ms WHERE ms.schema = _rollback.schema AND NOT ms.done;
    IF FOUND THEN
        acting := pgshift._acting_role(caller, m);
    END IF;
    -- Before the migration's row: the worker may hold the job lock and wait for that row (publishing).
    PERFORM pgshift._stop_jobs(schema);
    m := pgshift._active(schema);
    acting := pgshift._acting_role(caller, m);
    PERFORM pgshift._run_as(acting, 'SELECT pgshift._replace_version_views($1)', schema, NULL);
    IF m.version_schema IS NOT NULL THEN
        PERFORM pgshift._run_as(acting, format('DROP SCHEMA IF EXISTS %I CASCADE', m.version_schema), schema, NULL);
    END IF;
    IF m.plan ? 'pending_schema' THEN
        PERFORM pgshift._run_as(acting, format('DROP SCHEMA IF EXISTS %I CASCADE', m.plan->>'pending_schema'), schema, NULL);
    END IF;
    foreign_before := ARRAY(SELECT f.dependency FROM pgshift._foreign_functions(schema) f);
    PERFORM pgshift._run_as(acting, 'SELECT pgshift._execute($1, $2)', schema, m.plan->'rollback');
    PERFORM pgshift._refuse_foreign_functions(schema, foreign_before);
    DELETE FROM pgshift.migrations WHERE migrations.schema = m.schema AND name = m.name;
    RETURN jsonb_build_object('name', m.name, 'version_schema', m.version_schema, 'status', 'Rolled back');
END $$;
COMMENT ON FUNCTION pgshift._rollback(regrole, name) IS 'pgshift internal: rollback, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.rollback(schema name) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.rollback(name) IS
    'pgshift: undoes the active migration and drops its version schema, leaving the schema as before start';


-- ---------------------------------------------------------------------------------------------------
-- What 0.1.0 made in users' schemas, brought up to 0.2.0.
--
-- The views of version schemas made by 0.1.0 lack the condition that loads pgshift's library when a
-- write through them is planned (and the check option that makes an INSERT plan it). An extension
-- script may not replace objects it does not own, so start, complete and rollback bring them up to
-- date for their schema (refresh_version_views below); until then, a session's first write through
-- such a view, if it is what loads the library, goes by search_path, as in 0.1.0.
CREATE FUNCTION pgshift._view_columns(view_oid oid) RETURNS TABLE (view_column name, table_oid oid, table_column name)
    AS 'MODULE_PATHNAME', 'pgshift_view_columns' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION pgshift._view_columns(oid) IS
    'pgshift internal: the table column behind each column of a view that is a plain projection of one table (no row for other views)';

-- Each column of a version view without a default gets its table column's (0.1.0's views had none:
-- UPDATE ... SET c = DEFAULT through them gave NULL). Returns how many it set.
CREATE FUNCTION pgshift._copy_table_defaults(view_oid oid) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    col record;
    view_name text := view_oid::regclass::text;
    copied integer := 0;
BEGIN
    FOR col IN
        SELECT c.view_column, c.table_oid, c.table_column, pg_get_expr(d.adbin, d.adrelid) AS table_default,
               a.attidentity = 'd' AS identity
          FROM pgshift._view_columns(view_oid) c
          JOIN pg_attribute a ON a.attrelid = c.table_oid AND a.attname = c.table_column
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attgenerated = ''
           AND NOT EXISTS (SELECT FROM pg_attribute va JOIN pg_attrdef vd ON vd.adrelid = va.attrelid AND vd.adnum = va.attnum
                            WHERE va.attrelid = view_oid AND va.attname = c.view_column)
    LOOP
        IF col.table_default IS NOT NULL THEN
            EXECUTE format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', view_name, col.view_column, col.table_default);
            copied := copied + 1;
        ELSIF col.identity THEN
            PERFORM pgshift._view_identity_default(view_name, col.view_column, col.table_oid::regclass::text, col.table_column);
            copied := copied + 1;
        END IF;
    END LOOP;
    RETURN copied;
END $$;
COMMENT ON FUNCTION pgshift._copy_table_defaults(oid) IS
    'pgshift internal: gives the columns of a version view the defaults of their table columns';

CREATE FUNCTION pgshift._replace_version_views(schema name) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET pgshift.internal = on AS $$
DECLARE
    v record;
    replaced integer := 0;
BEGIN
    FOR v IN
        SELECT c.oid AS view_oid, n.nspname AS version_schema, c.relname AS view_name
          FROM pgshift.migrations m
          JOIN pg_namespace n ON n.nspname = m.version_schema
          JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind = 'v'
         WHERE m.schema = _replace_version_views.schema
           AND pg_get_viewdef(c.oid) NOT LIKE '%pgshift._version_view_%'
           -- pgshift's kind of view (a plain projection of one table, no condition), not one of the user's
           AND EXISTS (SELECT FROM pgshift._view_columns(c.oid)) AND pg_get_viewdef(c.oid) !~* '\mwhere\M'
    LOOP
        BEGIN
            EXECUTE format('CREATE OR REPLACE VIEW %I.%I WITH (security_invoker = true, check_option = local) AS %s WHERE pgshift._version_view_open()',
                           v.version_schema, v.view_name, rtrim(pg_get_viewdef(v.view_oid), '; ' || chr(10)));
            PERFORM pgshift._copy_table_defaults(v.view_oid);
            replaced := replaced + 1;
        EXCEPTION WHEN insufficient_privilege THEN
            -- Another role's views: they stay as they are (and writes through them as 0.1.0 did).
            RAISE WARNING 'view %.% was made by pgshift 0.1.0 and is not brought up to date: %', v.version_schema, v.view_name, SQLERRM
                USING HINT = format('Its owner (or a superuser) can: SELECT pgshift.refresh_version_views(%L).', schema);
        END;
    END LOOP;
    RETURN replaced;
END $$;
COMMENT ON FUNCTION pgshift._replace_version_views(name) IS
    'pgshift internal: replaces the views made by pgshift 0.1.0 in the schema''s version schemas (run as a role that owns them)';

CREATE FUNCTION pgshift._refresh_version_views(caller regrole, schema name) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    RETURN pgshift._run_as(caller, 'SELECT pgshift._replace_version_views($1)', schema, NULL)::integer;
END $$;
COMMENT ON FUNCTION pgshift._refresh_version_views(regrole, name) IS 'pgshift internal: refresh_version_views, behind the gate';
CREATE FUNCTION pgshift.refresh_version_views(schema name) RETURNS integer
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.refresh_version_views(name) IS
    'pgshift: gives the views of the schema''s version schemas made by pgshift 0.1.0 what this version''s views have (start, complete and rollback call it)';

-- Their column defaults now (an extension script may alter these views, not replace them).
DO $upgrade$
DECLARE
    v oid;
BEGIN
    FOR v IN
        SELECT c.oid FROM pgshift.migrations m
          JOIN pg_namespace n ON n.nspname = m.version_schema
          JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind = 'v'
    LOOP
        PERFORM pgshift._copy_table_defaults(v);
    END LOOP;
END $upgrade$;

-- Until refresh_version_views has run for a schema, a session's first write through one of its 0.1.0
-- views is decided by search_path, as 0.1.0 decided it; say so, with the call.
DO $upgrade$
DECLARE
    s name;
BEGIN
    FOR s IN SELECT DISTINCT m.schema FROM pgshift.migrations m
              WHERE EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = m.version_schema) ORDER BY 1 LOOP
        RAISE WARNING '%', format('the version schemas of schema %I were made by pgshift 0.1.0: SELECT pgshift.refresh_version_views(%L) brings their views up to date (start, complete and rollback also do)', s, s);
    END LOOP;
END $upgrade$;

-- The dual-write triggers of active migrations fire for every write, a replication session's too.
DO $upgrade$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tg.tgrelid::regclass AS table_name, tg.tgname AS trigger_name FROM pg_trigger tg
              WHERE tg.tgname IN ('_pgshift_dual_write', '~pgshift_dual_write') AND tg.tgenabled <> 'A' AND NOT tg.tgisinternal LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.table_name, t.trigger_name);
    END LOOP;
END $upgrade$;


-- ---------------------------------------------------------------------------------------------------
-- Security model (README, "Security model"). A superuser installs pgshift once per database. The
-- owner of a schema (or a member of that role, or a superuser) may migrate it, through the gated
-- functions, which alone write pgshift's tables; what a migration runs, it runs as its role.

-- The worker runs as the role it is given (the migration's), not as whoever starts it.
DROP FUNCTION pgshift._launch_worker(name);
CREATE FUNCTION pgshift._launch_worker(schema name, role regrole) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_launch_worker' LANGUAGE C STRICT;
COMMENT ON FUNCTION pgshift._launch_worker(name, regrole) IS
    'pgshift internal: starts the background worker of the schema''s jobs, as the role, once this transaction has ended';

CREATE FUNCTION pgshift._run_as(role regrole, statement text, schema name, argument jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'pgshift_run_as' LANGUAGE C;
COMMENT ON FUNCTION pgshift._run_as(regrole, text, name, jsonb) IS
    'pgshift internal: runs one of pgshift''s statements as a role, as a restricted operation (no SET ROLE)';

-- The role the active migration of the schema runs as, if the caller may act on it; NULL when no
-- migration is active.
CREATE FUNCTION pgshift._acting_on(caller regrole, schema name) RETURNS regrole
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m pgshift.migrations;
BEGIN
    SELECT * INTO m FROM pgshift.migrations ms WHERE ms.schema = _acting_on.schema AND NOT ms.done;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN pgshift._acting_role(caller, m);
END $$;
COMMENT ON FUNCTION pgshift._acting_on(regrole, name) IS
    'pgshift internal: the role of the schema''s active migration, if the caller may act as it';

CREATE FUNCTION pgshift._ensure_worker(caller regrole, schema name) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    acting regrole;
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    acting := pgshift._acting_on(caller, schema);
    -- Only for jobs that can run: paused and failed ones wait for backfill_resume.
    IF acting IS NOT NULL
       AND EXISTS (SELECT FROM pgshift.jobs j WHERE j.schema = _ensure_worker.schema AND j.state IN ('pending', 'running'))
       AND NOT pgshift.worker_running(schema) THEN
        RETURN pgshift._launch_worker(schema, acting);
    END IF;
    RETURN false;
END $$;
COMMENT ON FUNCTION pgshift._ensure_worker(regrole, name) IS 'pgshift internal: ensure_worker, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.ensure_worker(schema name) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;

CREATE FUNCTION pgshift._backfill_resume(caller regrole, schema name) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._acting_on(caller, schema);
    -- Paused and failed jobs run again (a failed batch is retried from its checkpoint).
    UPDATE pgshift.jobs j SET state = 'running', error = NULL, updated_at = clock_timestamp()
      FROM pgshift.migrations m
     WHERE j.schema = _backfill_resume.schema AND j.state IN ('paused', 'failed')
       AND m.schema = j.schema AND m.name = j.migration AND NOT m.done;
    RETURN pgshift._ensure_worker(caller, schema);
END $$;
COMMENT ON FUNCTION pgshift._backfill_resume(regrole, name) IS 'pgshift internal: backfill_resume, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.backfill_resume(schema name) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;

CREATE FUNCTION pgshift._backfill_pause(caller regrole, schema name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._acting_on(caller, schema);
    UPDATE pgshift.jobs j SET state = 'paused', updated_at = clock_timestamp()
     WHERE j.schema = _backfill_pause.schema AND j.state IN ('pending', 'running');
END $$;
COMMENT ON FUNCTION pgshift._backfill_pause(regrole, name) IS 'pgshift internal: backfill_pause, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.backfill_pause(schema name) RETURNS void
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;

CREATE FUNCTION pgshift._backfill_configure(caller regrole, schema name, batch_size integer, batch_delay_ms integer)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._acting_on(caller, schema);
    UPDATE pgshift.jobs j SET batch_size = CASE WHEN _backfill_configure.batch_size IS NULL THEN j.batch_size
                                                ELSE nullif(_backfill_configure.batch_size, 0) END,
                              batch_delay_ms = coalesce(_backfill_configure.batch_delay_ms, j.batch_delay_ms),
                              updated_at = clock_timestamp()
     WHERE j.schema = _backfill_configure.schema AND j.state <> 'done';
END $$;
COMMENT ON FUNCTION pgshift._backfill_configure(regrole, name, integer, integer) IS 'pgshift internal: backfill_configure, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.backfill_configure(schema name, batch_size integer DEFAULT NULL, batch_delay_ms integer DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;

CREATE FUNCTION pgshift._baseline(caller regrole, schema name, name text) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    active text;
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._lock(schema);
    SELECT m.name INTO active FROM pgshift.migrations m WHERE m.schema = _baseline.schema AND NOT m.done;
    IF FOUND THEN
        RAISE EXCEPTION 'a migration of schema "%" is in progress: "%"', schema, active USING ERRCODE = '55000';
    END IF;
    IF coalesce(name, '') = '' THEN
        RAISE EXCEPTION 'a baseline needs a name' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = _baseline.schema AND m.name = _baseline.name) THEN
        RAISE EXCEPTION 'migration "%" already exists in schema "%"', name, schema USING ERRCODE = '42710';
    END IF;
    INSERT INTO pgshift.migrations (schema, name, parent, migration, done, migration_type, resulting_schema, role)
    VALUES (schema, name, pgshift.latest_migration(schema), '{"operations": []}', true, 'baseline',
            pgshift.read_schema(schema), caller);
    RETURN jsonb_build_object('name', name, 'status', 'Baseline');
END $$;
COMMENT ON FUNCTION pgshift._baseline(regrole, name, text) IS 'pgshift internal: baseline, behind the gate';
CREATE OR REPLACE FUNCTION pgshift.baseline(schema name, name text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;

-- DDL capture runs for every role's DDL: as the extension's owner, with a pinned search_path, so
-- that a role without rights on pgshift's tables can still run DDL (even CREATE TEMP TABLE).
ALTER FUNCTION pgshift._record_ddl() SECURITY DEFINER;

-- Nobody but the owner writes pgshift's tables; each role reads the state of the schemas it may use.
-- (0.1.0's README had non-superusers granted rights on them: those go too.)
DO $upgrade$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT c.oid::regclass AS table_name, a.grantee::regrole AS grantee
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid IN ('pgshift.migrations'::regclass, 'pgshift.jobs'::regclass)
                AND a.grantee <> 0 AND a.grantee <> c.relowner LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', g.table_name, g.grantee);
    END LOOP;
    -- (USAGE on the schema goes to PUBLIC below: a grant to one role would only linger.)
    FOR g IN SELECT DISTINCT a.grantee::regrole AS grantee
               FROM pg_namespace n, aclexplode(n.nspacl) a
              WHERE n.nspname = 'pgshift' AND a.grantee <> 0 AND a.grantee <> n.nspowner LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA pgshift FROM %s', g.grantee);
    END LOOP;
END $upgrade$;
REVOKE ALL ON pgshift.migrations, pgshift.jobs FROM PUBLIC;
GRANT SELECT ON pgshift.migrations, pgshift.jobs TO PUBLIC;
ALTER TABLE pgshift.migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgshift.jobs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION pgshift._may_see(schema name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = $1 AND has_schema_privilege(n.oid, 'USAGE'))
$$;
COMMENT ON FUNCTION pgshift._may_see(name) IS 'pgshift internal: whether the current role may see a schema''s migrations';
CREATE POLICY schemas_one_may_use ON pgshift.migrations FOR SELECT USING (pgshift._may_see(schema));
CREATE POLICY schemas_one_may_use ON pgshift.jobs FOR SELECT USING (pgshift._may_see(schema));
ALTER VIEW pgshift.backfill_progress SET (security_invoker = true);
GRANT SELECT ON pgshift.backfill_progress TO PUBLIC;
GRANT USAGE ON SCHEMA pgshift TO PUBLIC;

-- What only the gate (or the worker, or a superuser's tests) may call.
REVOKE ALL ON FUNCTION pgshift._start(regrole, name, jsonb, jsonb), pgshift._publish_version(regrole, name, text), pgshift._complete(regrole, name),
    pgshift._rollback(regrole, name), pgshift._baseline(regrole, name, text), pgshift._backfill_pause(regrole, name),
    pgshift._backfill_resume(regrole, name), pgshift._backfill_configure(regrole, name, integer, integer),
    pgshift._ensure_worker(regrole, name), pgshift._refresh_version_views(regrole, name),
    pgshift._run_as(regrole, text, name, jsonb), pgshift._launch_worker(name, regrole), pgshift._stop_jobs(name),
    pgshift._record_ddl()
    FROM PUBLIC;

-- Whether the role may act on the schema's active migration (as _acting_on would let it), whose
-- role may still migrate the schema.
CREATE FUNCTION pgshift._may_act_on(who regrole, schema name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgshift._may_migrate($1, $2) AND EXISTS (
        SELECT FROM pgshift.migrations m,
               LATERAL (SELECT coalesce(m.role, (SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = m.schema)) AS acting) a
         WHERE m.schema = $2 AND NOT m.done AND EXISTS (SELECT FROM pg_roles r WHERE r.oid = a.acting)
           AND pg_has_role($1, a.acting, 'MEMBER') AND pgshift._may_migrate(a.acting::regrole, $2))
$$;
COMMENT ON FUNCTION pgshift._may_act_on(regrole, name) IS
    'pgshift internal: whether a role may act on the schema''s active migration';

-- wait_for_jobs commits between polls, so it cannot pin its search_path with SET: it names
-- everything qualified, and what it checks runs in a function that pins it.
CREATE FUNCTION pgshift._jobs_settled(schema name, deadline timestamptz, timeout_seconds double precision)
    RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    failure text;
BEGIN
    SELECT format('job %s of migration "%s" failed: %s', j.step, j.migration, j.error) INTO failure
      FROM pgshift.jobs j WHERE j.schema = _jobs_settled.schema AND j.state = 'failed' LIMIT 1;
    IF failure IS NOT NULL THEN
        RAISE EXCEPTION '%', failure USING ERRCODE = '55000';
    END IF;
    IF pgshift.jobs_pending(schema) = 0 THEN
        RETURN true;
    END IF;
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION 'jobs of schema "%" still running after % s', schema, timeout_seconds USING ERRCODE = '57014';
    END IF;
    -- A worker lost to a server restart is started again, from its checkpoint (by one who may).
    -- (Not for someone else's migration, a superuser's say: its own role may restart its worker.)
    IF pgshift._may_act_on(current_user::regrole, schema) THEN
        PERFORM pgshift.ensure_worker(schema);
    END IF;
    RETURN false;
END $$;
COMMENT ON FUNCTION pgshift._jobs_settled(name, timestamptz, double precision) IS
    'pgshift internal: one poll of wait_for_jobs (raises on a failed job or past the deadline)';

CREATE OR REPLACE PROCEDURE pgshift.wait_for_jobs(schema pg_catalog.name, timeout_seconds pg_catalog.float8 DEFAULT 600)
    LANGUAGE plpgsql AS $$
DECLARE
    deadline pg_catalog.timestamptz := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+)
                                       pg_catalog.make_interval(secs => timeout_seconds);
BEGIN
    WHILE NOT pgshift._jobs_settled(schema, deadline, timeout_seconds) LOOP
        COMMIT;
        PERFORM pg_catalog.pg_sleep(0.05);
    END LOOP;
END $$;
