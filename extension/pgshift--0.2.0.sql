\echo Use "CREATE EXTENSION pgshift" to load this file. \quit

-- pgshift: state of the migrations of every managed schema, and the functions that drive them.
-- The C++ library does the catalog reading and the planning; this script holds the state and the
-- orchestration (lock, plan, execute, record), so every step is usable from psql alone.

CREATE TABLE pgshift.migrations (
    seq              bigint GENERATED ALWAYS AS IDENTITY,   -- order of application
    schema           name        NOT NULL,                   -- the managed schema
    name             text        NOT NULL,
    parent           text,                                   -- previous migration of that schema
    migration        jsonb       NOT NULL,                   -- {version_schema?, operations}
    plan             jsonb       NOT NULL DEFAULT '{}',      -- what start decided: complete/rollback steps
    version_schema   name,                                   -- e.g. public_02_add_email; NULL if none
    done             boolean     NOT NULL DEFAULT false,     -- false while the migration is active
    migration_type   text        NOT NULL DEFAULT 'pgshift'
                     CHECK (migration_type IN ('pgshift', 'inferred', 'baseline')),
    resulting_schema jsonb       NOT NULL DEFAULT '{}',      -- read_schema() after complete
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (schema, name),
    FOREIGN KEY (schema, parent) REFERENCES pgshift.migrations (schema, name)
);
-- At most one active migration per schema, enforced by the database itself.
CREATE UNIQUE INDEX migrations_one_active ON pgshift.migrations (schema) WHERE NOT done;
-- History is a chain: one root and at most one child per migration.
CREATE UNIQUE INDEX migrations_one_root ON pgshift.migrations (schema) WHERE parent IS NULL;
CREATE UNIQUE INDEX migrations_linear ON pgshift.migrations (schema, parent);
COMMENT ON TABLE pgshift.migrations IS 'pgshift: the chain of migrations of each managed schema';
SELECT pg_catalog.pg_extension_config_dump('pgshift.migrations', '');

-- ---------------------------------------------------------------------------------------------------
-- Jobs: what start leaves to run outside its transaction, in order, by a background worker that
-- survives the client: statements that cannot run in a transaction block (CREATE INDEX
-- CONCURRENTLY) and batched backfills, each batch its own short transaction with its cursor
-- checkpointed here, so a restarted worker resumes where the last committed batch ended.
CREATE TABLE pgshift.jobs (
    schema          name        NOT NULL,
    migration       text        NOT NULL,
    step            integer     NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('sql', 'backfill', 'publish')),
    table_name      name,                      -- the physical table a backfill fills
    statement       text        NOT NULL,      -- sql: the statement; backfill: one batch ($1 cursor, $2 size)
                                               -- returning (rows, next cursor), no next cursor when done;
                                               -- publish: the call that opens the version schema
    cleanup         text,                      -- sql: run first, so a retry after a crash starts clean
    optional        boolean     NOT NULL DEFAULT false,   -- sql: a failure is recorded and skipped
    cursor          text[],                    -- backfill: key of the last row done (NULL: from the start)
    rows_done       bigint      NOT NULL DEFAULT 0,
    rows_estimated  bigint,
    batches         bigint      NOT NULL DEFAULT 0,
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'paused', 'done', 'failed')),
    error           text,
    batch_size      integer     CHECK (batch_size > 0),   -- NULL: adaptive, aiming at ~100 ms batches
    batch_delay_ms  integer     NOT NULL DEFAULT 0 CHECK (batch_delay_ms >= 0),
    last_batch_size integer,                   -- rows the last batch was asked for
    last_batch_ms   double precision,
    max_batch_ms    double precision,
    started_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    PRIMARY KEY (schema, migration, step),
    FOREIGN KEY (schema, migration) REFERENCES pgshift.migrations (schema, name) ON DELETE CASCADE
);
COMMENT ON TABLE pgshift.jobs IS 'pgshift: steps of active migrations run by the background worker, with their checkpoints';
SELECT pg_catalog.pg_extension_config_dump('pgshift.jobs', '');

CREATE FUNCTION pgshift._launch_worker(schema name) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_launch_worker' LANGUAGE C STRICT;
COMMENT ON FUNCTION pgshift._launch_worker(name) IS
    'pgshift internal: starts the background worker of the schema''s jobs once this transaction has ended';

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

CREATE FUNCTION pgshift.worker_running(schema name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- The worker holds this session-level advisory lock while it runs.
    SELECT pgshift._advisory_holders(1886610293, $1) IS NOT NULL
$$;
COMMENT ON FUNCTION pgshift.worker_running(name) IS 'pgshift: whether the background worker of the schema is running';

CREATE VIEW pgshift.backfill_progress AS
SELECT j.schema, j.migration, j.table_name AS "table", j.state, j.rows_done,
       CASE WHEN j.rows_estimated IS NOT NULL THEN greatest(j.rows_estimated, j.rows_done) END AS rows_estimated,
       pgshift.worker_running(j.schema) AS worker_running,
       CASE WHEN j.started_at IS NULL OR j.rows_done = 0 THEN NULL
            ELSE round(j.rows_done / greatest(extract(epoch FROM coalesce(j.finished_at, j.updated_at) - j.started_at), 0.001))
       END AS rows_per_second,
       j.batch_size, j.last_batch_size, j.batch_delay_ms, j.batches, j.last_batch_ms, j.max_batch_ms,
       j.started_at, j.updated_at, j.finished_at, j.error
  FROM pgshift.jobs j
 WHERE j.kind = 'backfill';
COMMENT ON VIEW pgshift.backfill_progress IS 'pgshift: progress of the backfills of active migrations';

CREATE FUNCTION pgshift.jobs_pending(schema name) RETURNS bigint
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*) FROM pgshift.jobs j WHERE j.schema = $1 AND j.state <> 'done'
$$;
COMMENT ON FUNCTION pgshift.jobs_pending(name) IS 'pgshift: how many jobs of the schema''s active migration are not done';

CREATE FUNCTION pgshift.ensure_worker(schema name) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Only for jobs that can run: paused and failed ones wait for backfill_resume.
    IF EXISTS (SELECT FROM pgshift.jobs j WHERE j.schema = ensure_worker.schema AND j.state IN ('pending', 'running'))
       AND NOT pgshift.worker_running(schema) THEN
        RETURN pgshift._launch_worker(schema);
    END IF;
    RETURN false;
END $$;
COMMENT ON FUNCTION pgshift.ensure_worker(name) IS
    'pgshift: starts the schema''s worker if jobs wait to run and none runs (e.g. after a server restart); changes no job';

CREATE FUNCTION pgshift.backfill_resume(schema name) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Paused and failed jobs run again (a failed batch is retried from its checkpoint).
    UPDATE pgshift.jobs j SET state = 'running', error = NULL, updated_at = clock_timestamp()
     WHERE j.schema = backfill_resume.schema AND j.state IN ('paused', 'failed');
    RETURN pgshift.ensure_worker(schema);
END $$;
COMMENT ON FUNCTION pgshift.backfill_resume(name) IS
    'pgshift: resumes paused or failed jobs of the schema and starts its worker if none runs (e.g. after a server restart)';

CREATE FUNCTION pgshift.backfill_pause(schema name) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE pgshift.jobs j SET state = 'paused', updated_at = clock_timestamp()
     WHERE j.schema = $1 AND j.state IN ('pending', 'running')
$$;
COMMENT ON FUNCTION pgshift.backfill_pause(name) IS 'pgshift: pauses the schema''s jobs after the current batch';

CREATE FUNCTION pgshift.backfill_configure(schema name, batch_size integer DEFAULT NULL, batch_delay_ms integer DEFAULT NULL)
    RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE pgshift.jobs j SET batch_size = CASE WHEN $2 IS NULL THEN j.batch_size ELSE nullif($2, 0) END,
                              batch_delay_ms = coalesce($3, j.batch_delay_ms),
                              updated_at = clock_timestamp()
     WHERE j.schema = $1 AND j.state <> 'done'
$$;
COMMENT ON FUNCTION pgshift.backfill_configure(name, integer, integer) IS
    'pgshift: changes batch size (0: adaptive) and delay of the schema''s unfinished jobs; applies from the next batch';

-- ---------------------------------------------------------------------------------------------------
-- C++ functions
CREATE FUNCTION pgshift.version() RETURNS text
    AS 'MODULE_PATHNAME', 'pgshift_version' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pgshift.version() IS 'pgshift: version of the loaded library';

CREATE FUNCTION pgshift.read_schema(schema name) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pgshift_read_schema' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pgshift.read_schema(name) IS
    'pgshift: tables, columns, keys, indexes and constraints of a schema, as JSON';

CREATE FUNCTION pgshift.plan_start(schema name, migration jsonb, current_schema jsonb, context jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pgshift_plan_start' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION pgshift.plan_start(name, jsonb, jsonb, jsonb) IS
    'pgshift: validates a migration against a read_schema() snapshot and returns the statements of start, complete and rollback';

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

CREATE FUNCTION pgshift._check_dual_write(table_name regclass) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_check_dual_write' LANGUAGE C STRICT;
COMMENT ON FUNCTION pgshift._check_dual_write(regclass) IS
    'pgshift internal: compiles a table''s dual-write trigger, raising any error of its up/down expressions';

CREATE FUNCTION pgshift.dual_write() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pgshift_dual_write' LANGUAGE C;
COMMENT ON FUNCTION pgshift.dual_write() IS
    'pgshift: the compiled dual-write row trigger of a table with an active migration (its argument is its JSON configuration)';

-- ---------------------------------------------------------------------------------------------------
-- Lookups
CREATE FUNCTION pgshift.lock_key() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 1886610292 $$;   -- 'pgsh' as an int
COMMENT ON FUNCTION pgshift.lock_key() IS
    'pgshift: first key of the per-schema advisory lock (lock_key(), hashtext(schema))';

CREATE FUNCTION pgshift.is_active(schema name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = $1 AND NOT m.done)
$$;
COMMENT ON FUNCTION pgshift.is_active(name) IS 'pgshift: whether a migration of the schema is in progress';

CREATE FUNCTION pgshift.latest_migration(schema name) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.name FROM pgshift.migrations m WHERE m.schema = $1 ORDER BY m.seq DESC LIMIT 1
$$;
COMMENT ON FUNCTION pgshift.latest_migration(name) IS 'pgshift: name of the newest migration of the schema';

-- Version schemas that still exist, newest first.
CREATE FUNCTION pgshift.live_versions(schema name) RETURNS SETOF name
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.version_schema FROM pgshift.migrations m
     WHERE m.schema = $1 AND m.version_schema IS NOT NULL
       AND EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = m.version_schema)
     ORDER BY m.seq DESC
$$;
COMMENT ON FUNCTION pgshift.live_versions(name) IS 'pgshift: existing version schemas of the schema, newest first';

CREATE FUNCTION pgshift.latest_version(schema name) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT v FROM pgshift.live_versions($1) v LIMIT 1
$$;
COMMENT ON FUNCTION pgshift.latest_version(name) IS
    'pgshift: the newest version schema of the schema (what clients put in search_path), or NULL';

CREATE FUNCTION pgshift.previous_version(schema name) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT v FROM pgshift.live_versions($1) v OFFSET 1 LIMIT 1
$$;
COMMENT ON FUNCTION pgshift.previous_version(name) IS
    'pgshift: the version schema before the newest one, or NULL';

CREATE FUNCTION pgshift.status(schema name) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'schema', $1::text,
        'version', coalesce(pgshift.latest_version($1), ''),
        'migration', coalesce(pgshift.latest_migration($1), ''),
        'status', CASE WHEN NOT EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = $1) THEN 'No migrations'
                       WHEN pgshift.is_active($1) THEN 'In progress'
                       ELSE 'Complete' END)
$$;
COMMENT ON FUNCTION pgshift.status(name) IS
    'pgshift: {schema, version, migration, status}; status is No migrations, In progress or Complete';

-- ---------------------------------------------------------------------------------------------------
-- Internal helpers
CREATE FUNCTION pgshift._lock(schema name) RETURNS void
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

-- RAISE with a detail and a hint only where there are some (RAISE refuses NULL and shows '').
CREATE FUNCTION pgshift._raise(message text, code text, detail text, hint text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF coalesce(detail, '') <> '' AND coalesce(hint, '') <> '' THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = code, DETAIL = detail, HINT = hint;
    ELSIF coalesce(detail, '') <> '' THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = code, DETAIL = detail;
    ELSIF coalesce(hint, '') <> '' THEN
        RAISE EXCEPTION USING MESSAGE = message, ERRCODE = code, HINT = hint;
    END IF;
    RAISE EXCEPTION USING MESSAGE = message, ERRCODE = code;
END $$;
COMMENT ON FUNCTION pgshift._raise(text, text, text, text) IS 'pgshift internal: raises an error with optional detail and hint';

-- Runs planned statements with the managed schema first in search_path, as pgroll does, so that
-- unqualified names in user SQL (types, functions, raw sql operations) resolve there.
CREATE FUNCTION pgshift._execute(schema name, steps jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    step jsonb;
    message text;
    code text;
    detail text;
    hint text;
BEGIN
    PERFORM set_config('search_path', format('%I', schema), true);
    PERFORM set_config('pgshift.internal', 'on', true);
    FOR step IN SELECT s FROM jsonb_array_elements(coalesce(steps, '[]')) s LOOP
        BEGIN
            EXECUTE step->>'sql';
        EXCEPTION WHEN OTHERS THEN
            -- Name the operation whose statement failed; keep PostgreSQL's SQLSTATE, detail and hint.
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, code = RETURNED_SQLSTATE,
                                    detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
            IF step->'skip_on' ? code THEN
                RAISE WARNING '%: skipped: %', step->>'op', message USING DETAIL = step->>'sql';
                CONTINUE;
            END IF;
            PERFORM pgshift._raise(coalesce(step->>'op' || ': ', '') || message, code, detail, hint);
        END;
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._execute(name, jsonb) IS 'pgshift internal: executes planned steps [{sql}, ...]';

-- Whoever may use the managed schema may use the version schema, and each view gets the privileges
-- its table has (the views are security_invoker, so the table's privileges and row-level security
-- apply as well). pgroll grants nothing, so least-privilege roles could not use its versions.
CREATE FUNCTION pgshift._grant_like_tables(schema name, version_schema name) RETURNS void
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
CREATE FUNCTION pgshift._publish_version(schema name, migration text) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    m pgshift.migrations;
    pending name;
    stmt text;
BEGIN
    SELECT * INTO m FROM pgshift.migrations ms
     WHERE ms.schema = _publish_version.schema AND ms.name = _publish_version.migration AND NOT ms.done FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    pending := m.plan->>'pending_schema';
    IF pending IS NULL OR NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = pending) THEN
        RETURN false;
    END IF;
    FOREACH stmt IN ARRAY pgshift.version_schema_sql(schema, pending, pgshift.read_schema(schema), m.plan->'overlay',
                                                     '{"replace": true}') LOOP
        EXECUTE stmt;
    END LOOP;
    EXECUTE format('ALTER SCHEMA %I RENAME TO %I', pending, m.version_schema);
    PERFORM pgshift._grant_like_tables(schema, m.version_schema);
    RETURN true;
END $$;
COMMENT ON FUNCTION pgshift._publish_version(name, text) IS
    'pgshift internal: opens the version schema of a migration whose backfills are done';

-- The schema's objects that a DROP can remove (tables, views, sequences, types, functions...), for
-- undoing raw SQL that has no `down`: what it created is dropped again at rollback.
CREATE FUNCTION pgshift._schema_objects(schema name)
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

-- DROP statements for the objects of `schema` that are not in `before`, newest first.
CREATE FUNCTION pgshift._drops_since(schema name, before oid[]) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('sql', format('DROP %s IF EXISTS %s CASCADE', upper(o.kind), o.identity),
                                                 'op', 'undo of raw sql') ORDER BY o.oid DESC), '[]')
      FROM pgshift._schema_objects(schema) o
     WHERE o.oid <> ALL (before)
$$;
COMMENT ON FUNCTION pgshift._drops_since(name, oid[]) IS 'pgshift internal: how to drop what was created since a snapshot';

CREATE FUNCTION pgshift._active(schema name) RETURNS pgshift.migrations
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m pgshift.migrations;
BEGIN
    SELECT * INTO m FROM pgshift.migrations WHERE migrations.schema = _active.schema AND NOT done FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no migration is in progress for schema "%"', schema USING ERRCODE = '55000';
    END IF;
    RETURN m;
END $$;
COMMENT ON FUNCTION pgshift._active(name) IS 'pgshift internal: the active migration row, locked, or an error';

-- ---------------------------------------------------------------------------------------------------
-- The migration lifecycle
CREATE FUNCTION pgshift.validate(schema name, migration jsonb) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    planned jsonb;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
        RAISE EXCEPTION 'schema "%" does not exist', schema USING ERRCODE = '3F000';
    END IF;
    planned := pgshift.plan_start(schema, migration, pgshift.read_schema(schema),
                                    jsonb_build_object('previous_version', pgshift.latest_version(schema)));
    RETURN jsonb_build_object('name', planned->>'name', 'version_schema', planned->>'version_schema', 'valid', true);
END $$;
COMMENT ON FUNCTION pgshift.validate(name, jsonb) IS
    'pgshift: checks a migration against the live schema and changes nothing; raises the first problem';

-- Whether row-level security applies to the current role on the table: a backfill running as that
-- role would not see every row (the worker runs with row_security off, so it would fail instead).
CREATE FUNCTION pgshift._row_security_applies(table_oid oid) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.relrowsecurity
           AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
           AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = current_user AND (r.rolsuper OR r.rolbypassrls))
      FROM pg_class c WHERE c.oid = $1
$$;
COMMENT ON FUNCTION pgshift._row_security_applies(oid) IS
    'pgshift internal: whether row-level security policies apply to the current role on a table';

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
CREATE FUNCTION pgshift._check_completable(schema name, planned jsonb, pending name) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    item jsonb;
    table_oid oid;
    blockers text[];
BEGIN
    FOR item IN SELECT j FROM jsonb_array_elements(planned->'jobs') j WHERE j->>'kind' = 'backfill' LOOP
        table_oid := to_regclass(format('%I.%I', schema, item->>'table'));
        IF table_oid IS NOT NULL AND pgshift._row_security_applies(table_oid) THEN
            RAISE EXCEPTION 'table "%" has row-level security that applies to role "%": its backfill could not see every row',
                            item->>'table', current_user
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
COMMENT ON FUNCTION pgshift._check_completable(name, jsonb, name) IS
    'pgshift internal: refuses a migration whose backfill or complete could not succeed';

-- The name a version schema has until it is published: nobody uses it by accident.
CREATE FUNCTION pgshift._pending_name(version_schema text) RETURNS name
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ('_pgshift_pending_' || left(md5($1), 16))::name
$$;
COMMENT ON FUNCTION pgshift._pending_name(text) IS 'pgshift internal: the name of a version schema before it is published';

CREATE FUNCTION pgshift.start(schema name, migration jsonb, options jsonb DEFAULT '{}') RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    planned jsonb;
    active text;
    same pgshift.migrations;
    objects_before oid[];
    pending name;
    job_count integer;
    worker_started boolean := false;
BEGIN
    PERFORM pgshift._lock(schema);
    -- The same migration again (another app instance, or a client killed after its start committed)
    -- finds the work done instead of failing on "already exists".
    SELECT m.* INTO same FROM pgshift.migrations m
     WHERE m.schema = start.schema AND m.name = start.migration->>'name' AND m.migration = start.migration - 'name';
    IF FOUND THEN
        RETURN jsonb_build_object('name', same.name, 'version_schema', same.version_schema,
                                  'status', CASE WHEN same.done THEN 'Complete' ELSE 'In progress' END,
                                  'already_applied', true,
                                  'published', same.done OR NOT EXISTS (SELECT FROM pg_namespace n
                                                                         WHERE n.nspname = same.plan->>'pending_schema'),
                                  'jobs', (SELECT count(*) FROM pgshift.jobs j WHERE j.schema = same.schema AND j.migration = same.name));
    END IF;
    SELECT m.name INTO active FROM pgshift.migrations m WHERE m.schema = start.schema AND NOT m.done;
    IF FOUND THEN
        RAISE EXCEPTION 'a migration of schema "%" is already in progress: "%"', schema, active
            USING ERRCODE = '55000', HINT = 'Complete or roll it back first.';
    END IF;
    planned := pgshift.plan_start(schema, migration, pgshift.read_schema(schema),
                                    jsonb_build_object('previous_version', pgshift.latest_version(schema)));
    IF EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = start.schema AND m.name = planned->>'name') THEN
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
    PERFORM pgshift._check_completable(schema, planned, pending);
    INSERT INTO pgshift.migrations (schema, name, parent, migration, plan, version_schema)
    VALUES (schema, planned->>'name', pgshift.latest_migration(schema), migration - 'name', planned,
            planned->>'version_schema');
    IF coalesce((planned->>'undo_by_snapshot')::boolean, false) THEN
        -- Raw SQL without `down`: rollback drops what it creates.
        objects_before := ARRAY(SELECT o.oid FROM pgshift._schema_objects(schema) o);
    END IF;
    PERFORM pgshift._execute(schema, planned->'start');
    IF objects_before IS NOT NULL THEN
        UPDATE pgshift.migrations m
           SET plan = jsonb_set(m.plan, '{rollback}', pgshift._drops_since(start.schema, objects_before) || (m.plan->'rollback'))
         WHERE m.schema = start.schema AND m.name = planned->>'name';
    END IF;
    PERFORM pgshift._create_version_schema(schema, coalesce(pending, (planned->>'version_schema')::name), planned->'overlay',
                                           pending IS NOT NULL, (planned->>'version_schema')::name);
    -- What cannot run in this transaction goes to the worker, which starts once it has committed.
    INSERT INTO pgshift.jobs (schema, migration, step, kind, table_name, statement, cleanup, optional,
                              rows_estimated, batch_size, batch_delay_ms)
    SELECT schema, planned->>'name', j.step, j.job->>'kind', j.job->>'table', j.job->>'statement', j.job->>'cleanup',
           coalesce((j.job->>'optional')::boolean, false),
           (SELECT nullif(greatest(c.reltuples, -1), -1)::bigint FROM pg_class c
             WHERE j.job ? 'table' AND c.oid = to_regclass(format('%I.%I', schema, j.job->>'table'))),
           nullif((options->>'backfill_batch_size')::integer, 0),
           coalesce((options->>'backfill_batch_delay_ms')::integer, 0)
      FROM jsonb_array_elements(planned->'jobs') WITH ORDINALITY AS j(job, step);
    GET DIAGNOSTICS job_count = ROW_COUNT;
    IF pending IS NOT NULL THEN
        INSERT INTO pgshift.jobs (schema, migration, step, kind, statement)
        VALUES (schema, planned->>'name', job_count + 1, 'publish',
                format('SELECT pgshift._publish_version(%L, %L)', schema, planned->>'name'));
        job_count := job_count + 1;
    END IF;
    IF job_count > 0 THEN
        worker_started := pgshift._launch_worker(schema);
    END IF;
    -- "worker": whether a worker could be started for the jobs (false: no free slot, see the warning).
    RETURN jsonb_strip_nulls(jsonb_build_object('name', planned->>'name', 'version_schema', planned->>'version_schema',
                                                'status', 'In progress', 'jobs', job_count, 'published', pending IS NULL,
                                                'worker', CASE WHEN job_count > 0 THEN worker_started END));
END $$;
COMMENT ON FUNCTION pgshift.start(name, jsonb, jsonb) IS
    'pgshift: validates and starts a migration (expand), all or nothing; backfills and concurrent index builds then run in a background worker, and a version schema whose tables are backfilled opens when they are done (options: backfill_batch_size, adaptive when absent; backfill_batch_delay_ms)';

CREATE FUNCTION pgshift._require_jobs_done(m pgshift.migrations) RETURNS void
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

CREATE FUNCTION pgshift.complete(schema name) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    m pgshift.migrations;
    previous text;
BEGIN
    PERFORM pgshift._lock(schema);
    m := pgshift._active(schema);
    PERFORM pgshift._require_jobs_done(m);
    PERFORM pgshift._require_completable(m);
    -- The previous version's views go first: they may depend on columns the contract drops.
    SELECT v INTO previous FROM pgshift.live_versions(schema) v WHERE v IS DISTINCT FROM m.version_schema LIMIT 1;
    IF previous IS NOT NULL THEN
        EXECUTE format('DROP SCHEMA %I CASCADE', previous);
    END IF;
    PERFORM pgshift._execute(schema, m.plan->'complete');
    IF coalesce((m.plan->>'refresh_views')::boolean, false) AND m.version_schema IS NOT NULL THEN
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', m.version_schema);
        PERFORM pgshift._create_version_schema(schema, m.version_schema, '{}');
    END IF;
    UPDATE pgshift.migrations
       SET done = true, resulting_schema = pgshift.read_schema(m.schema), updated_at = clock_timestamp()
     WHERE migrations.schema = m.schema AND name = m.name;
    RETURN jsonb_build_object('name', m.name, 'version_schema', m.version_schema, 'status', 'Complete');
END $$;
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

CREATE FUNCTION pgshift.rollback(schema name) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
    SET pgshift.internal = on AS $$
DECLARE
    m pgshift.migrations;
BEGIN
    PERFORM pgshift._lock(schema);
    -- Before the migration's row: the worker may hold the job lock and wait for that row (publishing).
    PERFORM pgshift._stop_jobs(schema);
    m := pgshift._active(schema);
    IF m.version_schema IS NOT NULL THEN
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', m.version_schema);
    END IF;
    IF m.plan ? 'pending_schema' THEN
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', m.plan->>'pending_schema');
    END IF;
    PERFORM pgshift._execute(schema, m.plan->'rollback');
    DELETE FROM pgshift.migrations WHERE migrations.schema = m.schema AND name = m.name;
    RETURN jsonb_build_object('name', m.name, 'version_schema', m.version_schema, 'status', 'Rolled back');
END $$;
COMMENT ON FUNCTION pgshift.rollback(name) IS
    'pgshift: undoes the active migration and drops its version schema, leaving the schema as before start';

-- ---------------------------------------------------------------------------------------------------
-- History
CREATE FUNCTION pgshift.history(schema name)
    RETURNS TABLE (name text, migration jsonb, migration_type text, done boolean, version_schema name,
                   created_at timestamptz)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- Everything since the latest baseline (included), oldest first.
    SELECT m.name, m.migration, m.migration_type, m.done, m.version_schema, m.created_at
      FROM pgshift.migrations m
     WHERE m.schema = $1
       AND m.seq >= coalesce((SELECT max(b.seq) FROM pgshift.migrations b
                               WHERE b.schema = $1 AND b.migration_type = 'baseline'), 0)
     ORDER BY m.seq
$$;
COMMENT ON FUNCTION pgshift.history(name) IS
    'pgshift: the migrations of the schema since its latest baseline, oldest first';

CREATE FUNCTION pgshift.baseline(schema name, name text) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    active text;
BEGIN
    PERFORM pgshift._lock(schema);
    SELECT m.name INTO active FROM pgshift.migrations m WHERE m.schema = baseline.schema AND NOT m.done;
    IF FOUND THEN
        RAISE EXCEPTION 'a migration of schema "%" is in progress: "%"', schema, active USING ERRCODE = '55000';
    END IF;
    IF coalesce(name, '') = '' THEN
        RAISE EXCEPTION 'a baseline needs a name' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = baseline.schema AND m.name = baseline.name) THEN
        RAISE EXCEPTION 'migration "%" already exists in schema "%"', name, schema USING ERRCODE = '42710';
    END IF;
    INSERT INTO pgshift.migrations (schema, name, parent, migration, done, migration_type, resulting_schema)
    VALUES (schema, name, pgshift.latest_migration(schema), '{"operations": []}', true, 'baseline',
            pgshift.read_schema(schema));
    RETURN jsonb_build_object('name', name, 'status', 'Baseline');
END $$;
COMMENT ON FUNCTION pgshift.baseline(name, text) IS
    'pgshift: records the current schema as the starting point of its history';

-- A procedure, not a function: it commits between polls, so that it holds no snapshot a concurrent
-- index build of the worker would have to wait for. (Hence also no SET clause.)
CREATE PROCEDURE pgshift.wait_for_jobs(schema name, timeout_seconds double precision DEFAULT 600)
    LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_seconds);
    failure text;
BEGIN
    LOOP
        SELECT format('job %s of migration "%s" failed: %s', j.step, j.migration, j.error) INTO failure
          FROM pgshift.jobs j WHERE j.schema = wait_for_jobs.schema AND j.state = 'failed' LIMIT 1;
        IF failure IS NOT NULL THEN
            RAISE EXCEPTION '%', failure USING ERRCODE = '55000';
        END IF;
        EXIT WHEN pgshift.jobs_pending(schema) = 0;
        IF pg_catalog.clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'jobs of schema "%" still running after % s', schema, timeout_seconds USING ERRCODE = '57014';
        END IF;
        -- A worker lost to a server restart is started again, from its checkpoint.
        PERFORM pgshift.ensure_worker(schema);
        COMMIT;
        PERFORM pg_catalog.pg_sleep(0.05);
    END LOOP;
END $$;
COMMENT ON PROCEDURE pgshift.wait_for_jobs(name, double precision) IS
    'pgshift: waits until the schema''s jobs are done (CALL it outside a transaction block)';

-- ---------------------------------------------------------------------------------------------------
-- DDL made outside pgshift (psql, an ORM) is recorded as an "inferred" migration of its schema, so
-- that history, pull and read_schema stay true. Event triggers need a superuser to create them:
-- capture is switched on with pgshift.capture_ddl(true) (off again with false), not by CREATE
-- EXTENSION, so the extension itself installs without superuser.
CREATE FUNCTION pgshift._record_ddl() RETURNS event_trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target name;
    latest text;
    query text := current_query();
BEGIN
    IF current_setting('pgshift.internal', true) = 'on' THEN
        RETURN;   -- pgshift's own DDL
    END IF;
    IF tg_event = 'sql_drop' THEN
        SELECT DISTINCT o.schema_name INTO target FROM pg_event_trigger_dropped_objects() o
         WHERE o.schema_name IS NOT NULL LIMIT 1;
    ELSE
        SELECT DISTINCT c.schema_name INTO target FROM pg_event_trigger_ddl_commands() c
         WHERE c.schema_name IS NOT NULL LIMIT 1;
    END IF;
    -- Only schemas pgshift manages, and not while one of their migrations is active.
    IF target IS NULL OR NOT EXISTS (SELECT FROM pgshift.migrations m WHERE m.schema = target)
       OR pgshift.is_active(target) THEN
        RETURN;
    END IF;
    -- One record per statement batch: a batch of several statements updates the same record.
    UPDATE pgshift.migrations m SET resulting_schema = pgshift.read_schema(target), updated_at = clock_timestamp()
     WHERE m.schema = target AND m.migration_type = 'inferred' AND m.created_at >= transaction_timestamp()
       AND m.migration->'operations'->0->'sql'->>'up' = query
       AND m.seq = (SELECT max(seq) FROM pgshift.migrations WHERE schema = target);
    IF FOUND THEN
        RETURN;
    END IF;
    -- Named after the latest migration pgshift applied (as pgroll names them), chained to the latest of all.
    SELECT m.name INTO latest FROM pgshift.migrations m
     WHERE m.schema = target AND m.migration_type <> 'inferred' ORDER BY m.seq DESC LIMIT 1;
    INSERT INTO pgshift.migrations (schema, name, parent, migration, done, migration_type, resulting_schema)
    VALUES (target, coalesce(latest, '00000_initial') || '_' || to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS'),
            pgshift.latest_migration(target),
            jsonb_build_object('operations', jsonb_build_array(jsonb_build_object('sql', jsonb_build_object('up', query)))),
            true, 'inferred', pgshift.read_schema(target));
END $$;
COMMENT ON FUNCTION pgshift._record_ddl() IS 'pgshift internal: records DDL made outside pgshift as an inferred migration';

CREATE FUNCTION pgshift.capture_ddl(enabled boolean DEFAULT true) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET client_min_messages = warning AS $$
BEGIN
    DROP EVENT TRIGGER IF EXISTS pgshift_capture_ddl;
    DROP EVENT TRIGGER IF EXISTS pgshift_capture_drops;
    IF enabled THEN
        CREATE EVENT TRIGGER pgshift_capture_ddl ON ddl_command_end EXECUTE FUNCTION pgshift._record_ddl();
        CREATE EVENT TRIGGER pgshift_capture_drops ON sql_drop EXECUTE FUNCTION pgshift._record_ddl();
    END IF;
    RETURN enabled;
END $$;
COMMENT ON FUNCTION pgshift.capture_ddl(boolean) IS
    'pgshift: records DDL made outside pgshift as inferred migrations (true) or stops (false); needs a superuser';
