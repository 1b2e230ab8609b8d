\echo Use "ALTER EXTENSION pgshift UPDATE TO '0.4.0'" to load this file. \quit

-- pgshift 0.3.0 -> 0.4.0. CREATE EXTENSION pgshift runs 0.1.0's script and the updates to here.
-- What changed:
--   * The backfill yields to the application (extension/core/backfill_throttle.hpp): load-aware by
--     default (jobs.throttle_mode, else the setting pgshift.backfill_throttle), within the user's
--     bounds (jobs.max_rows_per_second, jobs.duty_cycle). The worker reports how it paces each job
--     (jobs.throttle_state, jobs.throttle, jobs.recent_rows_per_second), and backfill_progress shows
--     it with an estimate of the time left. backfill_configure and start's options set the bounds.


ALTER TABLE pgshift.jobs
    ADD COLUMN throttle_mode text CHECK (throttle_mode IN ('auto', 'off')),
    ADD COLUMN max_rows_per_second integer CHECK (max_rows_per_second > 0),
    ADD COLUMN duty_cycle real CHECK (duty_cycle > 0 AND duty_cycle <= 1),
    ADD COLUMN throttle_state text,
    ADD COLUMN recent_rows_per_second double precision;
COMMENT ON COLUMN pgshift.jobs.throttle_mode IS
    'pgshift: auto (the backfill yields to the application''s load) or off; NULL: the setting pgshift.backfill_throttle';
COMMENT ON COLUMN pgshift.jobs.max_rows_per_second IS 'pgshift: the most rows a second the backfill writes (NULL: no bound)';
COMMENT ON COLUMN pgshift.jobs.duty_cycle IS 'pgshift: the share of the time the backfill''s batches may run (NULL: all of it)';
COMMENT ON COLUMN pgshift.jobs.throttle_state IS
    'pgshift: how the backfill is paced now: full speed, yielding, rate limit, duty cycle, delay, waiting for standbys';
COMMENT ON COLUMN pgshift.jobs.throttle IS 'pgshift: why the backfill is paced as it is (throttle_state), for people';
COMMENT ON COLUMN pgshift.jobs.recent_rows_per_second IS 'pgshift: the backfill''s rate over the last seconds, pauses included';

-- Settings a user gives (backfill_configure, start's options) are checked with errors that say what is wrong.
CREATE FUNCTION pgshift._check_throttle(throttle text, max_rows_per_second integer, duty_cycle real) RETURNS void
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF throttle IS NOT NULL AND throttle NOT IN ('auto', 'off') THEN
        RAISE EXCEPTION 'invalid throttle "%"', throttle USING ERRCODE = '22023',
            HINT = 'auto: the backfill yields to the application''s load; off: it does not (the rate and duty cycle bounds still hold).';
    END IF;
    IF max_rows_per_second < 0 THEN
        RAISE EXCEPTION 'invalid max_rows_per_second %: it must not be negative', max_rows_per_second USING ERRCODE = '22023',
            HINT = 'Give a number of rows a second, or 0 for no bound.';
    END IF;
    IF duty_cycle <= 0 OR duty_cycle > 1 OR duty_cycle = 'NaN' THEN
        RAISE EXCEPTION 'invalid duty_cycle %: it must be over 0 and at most 1', duty_cycle USING ERRCODE = '22023',
            HINT = 'The share of the time the backfill''s batches may run: 0.25 is a quarter, 1 all of it.';
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._check_throttle(text, integer, real) IS 'pgshift internal: raises on a throttle setting out of range';
REVOKE ALL ON FUNCTION pgshift._check_throttle(text, integer, real) FROM PUBLIC;

CREATE OR REPLACE VIEW pgshift.backfill_progress WITH (security_invoker = true) AS
SELECT j.schema, j.migration, j.table_name AS "table", j.state, j.rows_done,
       CASE WHEN j.rows_estimated IS NOT NULL THEN greatest(j.rows_estimated, j.rows_done) END AS rows_estimated,
       pgshift.worker_running(j.schema) AS worker_running,
       CASE WHEN j.started_at IS NULL OR j.rows_done = 0 THEN NULL
            ELSE round(j.rows_done / greatest(extract(epoch FROM coalesce(j.finished_at, j.updated_at) - j.started_at), 0.001))
       END AS rows_per_second,
       j.batch_size, j.last_batch_size, j.batch_delay_ms, j.batches, j.last_batch_ms, j.max_batch_ms,
       j.started_at, j.updated_at, j.finished_at, j.error,
       j.throttle, j.max_replication_lag_ms,
       CASE WHEN j.state = 'running' THEN j.throttle_state END AS throttle_state,
       CASE WHEN j.state = 'running' THEN round(j.recent_rows_per_second) END AS recent_rows_per_second,
       -- The time left at the recent rate (the table's estimated rows; NULL while unknown).
       CASE WHEN j.state = 'running' AND j.recent_rows_per_second > 0 AND j.rows_estimated IS NOT NULL
            THEN make_interval(secs => round(greatest(j.rows_estimated - j.rows_done, 0) / j.recent_rows_per_second))
       END AS eta,
       coalesce(j.throttle_mode, current_setting('pgshift.backfill_throttle', true), 'auto') AS throttle_mode,
       j.max_rows_per_second, j.duty_cycle
  FROM pgshift.jobs j
 WHERE j.kind = 'backfill';

-- backfill_configure sets the throttle too: mode (auto, off), rate bound (0: none), duty cycle (1: all
-- the time); NULL leaves a setting as it is.
DROP FUNCTION pgshift.backfill_configure(name, integer, integer, integer);
DROP FUNCTION pgshift._backfill_configure(regrole, name, integer, integer, integer);
CREATE FUNCTION pgshift._backfill_configure(caller regrole, schema name, batch_size integer, batch_delay_ms integer,
                                            max_replication_lag_ms integer, throttle text, max_rows_per_second integer,
                                            duty_cycle real)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._acting_on(caller, schema);
    PERFORM pgshift._check_throttle(throttle, max_rows_per_second, duty_cycle);
    UPDATE pgshift.jobs j SET batch_size = CASE WHEN _backfill_configure.batch_size IS NULL THEN j.batch_size
                                                ELSE nullif(_backfill_configure.batch_size, 0) END,
                              batch_delay_ms = coalesce(_backfill_configure.batch_delay_ms, j.batch_delay_ms),
                              max_replication_lag_ms = coalesce(_backfill_configure.max_replication_lag_ms, j.max_replication_lag_ms),
                              throttle_mode = coalesce(_backfill_configure.throttle, j.throttle_mode),
                              max_rows_per_second = CASE WHEN _backfill_configure.max_rows_per_second IS NULL THEN j.max_rows_per_second
                                                         ELSE nullif(_backfill_configure.max_rows_per_second, 0) END,
                              duty_cycle = CASE WHEN _backfill_configure.duty_cycle IS NULL THEN j.duty_cycle
                                                ELSE nullif(_backfill_configure.duty_cycle, 1) END,
                              updated_at = clock_timestamp()
     WHERE j.schema = _backfill_configure.schema AND j.state <> 'done';
END $$;
COMMENT ON FUNCTION pgshift._backfill_configure(regrole, name, integer, integer, integer, text, integer, real) IS
    'pgshift internal: backfill_configure, behind the gate';
REVOKE ALL ON FUNCTION pgshift._backfill_configure(regrole, name, integer, integer, integer, text, integer, real) FROM PUBLIC;
CREATE FUNCTION pgshift.backfill_configure(schema name, batch_size integer DEFAULT NULL, batch_delay_ms integer DEFAULT NULL,
                                           max_replication_lag_ms integer DEFAULT NULL, throttle text DEFAULT NULL,
                                           max_rows_per_second integer DEFAULT NULL, duty_cycle real DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.backfill_configure(name, integer, integer, integer, text, integer, real) IS
    'pgshift: changes the running backfills of the schema: batch size (0: adaptive), pause between batches, the replay lag of a standby over which they wait (0: never), throttle (auto: they yield to the application''s load; off), the most rows a second (0: no bound) and the share of the time their batches may run (1: all of it); NULL leaves a setting as it is';

-- As 0.3.0's, with start's options throttle, max_rows_per_second and duty_cycle for the migration's jobs.
CREATE OR REPLACE FUNCTION pgshift._start(caller regrole, schema name, migration jsonb, options jsonb) RETURNS jsonb
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
    PERFORM pgshift._check_throttle(options->>'throttle', (options->>'max_rows_per_second')::integer,
                                    (options->>'duty_cycle')::real);
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
                              rows_estimated, batch_size, batch_delay_ms, max_replication_lag_ms,
                              throttle_mode, max_rows_per_second, duty_cycle, state)
    SELECT schema, planned->>'name', j.step, j.job->>'kind', j.job->>'table', j.job->>'statement', j.job->>'cleanup',
           coalesce((j.job->>'optional')::boolean, false),
           (SELECT nullif(greatest(c.reltuples, -1), -1)::bigint FROM pg_class c
             WHERE j.job ? 'table' AND c.oid = to_regclass(format('%I.%I', schema, j.job->>'table'))),
           nullif((options->>'backfill_batch_size')::integer, 0),
           coalesce((options->>'backfill_batch_delay_ms')::integer, 0),
           (options->>'max_replication_lag_ms')::integer,
           options->>'throttle', nullif((options->>'max_rows_per_second')::integer, 0),
           nullif((options->>'duty_cycle')::real, 1),
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
COMMENT ON FUNCTION pgshift.start(name, jsonb, jsonb) IS
    'pgshift: validates and starts a migration (expand), all or nothing; backfills and concurrent index builds then run in a background worker, and a version schema whose tables are backfilled opens when they are done (options: backfill_batch_size, adaptive when absent; backfill_batch_delay_ms; max_replication_lag_ms, the replay lag of a standby over which the backfill waits, 0: never, absent: the setting pgshift.max_replication_lag; throttle, auto (the backfill yields to the application''s load) or off, absent: the setting pgshift.backfill_throttle; max_rows_per_second; duty_cycle; paused: the jobs wait for backfill_resume)';
