\echo Use "ALTER EXTENSION pgshift UPDATE TO '0.3.0'" to load this file. \quit

-- pgshift 0.2.0 -> 0.3.0. CREATE EXTENSION pgshift runs 0.1.0's script, 0.1.0 -> 0.2.0 and this one.
-- What changed:
--   * A version schema carries what clients reach through it besides the tables' views (README,
--     "What a version schema holds"): the managed schema's types as domains of the same name, its
--     functions and procedures as wrappers of the same signature, and the app's own views,
--     re-created over that version's views. A view that cannot answer in the new version (it names
--     a column the migration renames) makes start refuse, naming the view.
--   Version schemas made before the update keep what they hold; the next migration's carry it all.
--   * A primary key that a migration changes takes the foreign keys that reference it along (the
--     plan's repointed_foreign_keys): they are no reason to refuse dropping the old key's column.
--   * The backfill waits while a physical standby lags more than a bound (jobs.max_replication_lag_ms,
--     else the setting pgshift.max_replication_lag); jobs.throttle says why it waits, and so does
--     backfill_progress; backfill_configure sets the bound.


-- The managed schema's objects a version schema carries, in the order they are made.
CREATE FUNCTION pgshift._carried_types(schema name)
    RETURNS TABLE (type_oid oid, type_name name)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- Enums, domains, ranges, multiranges, base types and stand-alone composite types; a table's row
    -- type is its view's, and array types come with their element type. Extensions' types stay theirs.
    SELECT t.oid, t.typname
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = $1
       AND t.typtype IN ('b', 'd', 'e', 'r', 'm', 'c')
       AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
       AND NOT (t.typcategory = 'A' AND t.typelem <> 0 AND t.typsubscript = 'array_subscript_handler'::regproc)
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
     ORDER BY t.oid
$$;
COMMENT ON FUNCTION pgshift._carried_types(name) IS 'pgshift internal: the types a version schema of the schema carries';

CREATE FUNCTION pgshift._carried_routines(schema name)
    RETURNS TABLE (routine oid, why_not text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- Plain functions and procedures of the migrating role and the schema's owner. Not: trigger and
    -- type support functions (nobody calls them by name), extensions' functions; and, with the reason in why_not (NULL: carried), aggregates and
    -- window functions (no wrapper can be one) and procedures with output arguments.
    SELECT p.oid,
           CASE WHEN p.prokind IN ('a', 'w') THEN 'an aggregate or window function cannot be wrapped'
                WHEN p.prokind = 'p' AND p.proargmodes && ARRAY['o', 'b']::"char"[]
                     THEN 'a procedure with output arguments cannot be wrapped' END
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1
       -- The migrating role's and the schema owner's: not a function a third role with CREATE on the
       -- schema put there, which a client of the version would otherwise find first.
       AND p.proowner IN ((SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user), n.nspowner)
       AND NOT EXISTS (SELECT FROM unnest(p.proargtypes::oid[] || p.prorettype) a(t)
                        WHERE a.t IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype,
                                      'cstring'::regtype, 'language_handler'::regtype, 'fdw_handler'::regtype,
                                      'table_am_handler'::regtype, 'index_am_handler'::regtype,
                                      'tsm_handler'::regtype, '"any"'::regtype))
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
     ORDER BY p.oid
$$;
COMMENT ON FUNCTION pgshift._carried_routines(name) IS
    'pgshift internal: the functions and procedures of the schema, and why one is not carried (NULL: it is)';

-- CREATE FUNCTION/PROCEDURE of a wrapper in version_schema that calls the routine with the same
-- arguments. The body names the routine schema-qualified and nothing else by name (its arguments
-- are $n), so no search_path can change what it calls; without a SET clause, an SQL function can be
-- inlined into the caller's query and a procedure may commit.
CREATE FUNCTION pgshift._routine_wrapper_sql(routine oid, version_schema name) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p pg_proc;
    target text;
    modes "char"[];
    args text := '';
    position integer := 0;
    i integer;
BEGIN
    SELECT * INTO p FROM pg_proc WHERE oid = routine;
    target := format('%I.%I', (SELECT nspname FROM pg_namespace WHERE oid = p.pronamespace), p.proname);
    modes := coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs]));
    FOR i IN 1 .. coalesce(array_length(modes, 1), 0) LOOP
        CONTINUE WHEN modes[i] IN ('o', 't');   -- output columns are not passed
        position := position + 1;
        args := args || CASE WHEN args = '' THEN '' ELSE ', ' END ||
                CASE WHEN modes[i] = 'v' THEN 'VARIADIC ' ELSE '' END || '$' || position;
    END LOOP;
    IF p.prokind = 'p' THEN
        -- PL/pgSQL: a CALL from it may commit, as the procedure may when called directly.
        RETURN format('CREATE PROCEDURE %I.%I(%s) LANGUAGE plpgsql AS %L', version_schema, p.proname,
                      pg_get_function_arguments(routine), format('BEGIN CALL %s(%s); END', target, args));
    END IF;
    RETURN format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE sql %s %s PARALLEL %s AS %L',
                  version_schema, p.proname, pg_get_function_arguments(routine), pg_get_function_result(routine),
                  CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                  CASE WHEN p.proisstrict THEN 'STRICT' ELSE 'CALLED ON NULL INPUT' END,
                  CASE p.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END,
                  CASE WHEN p.prorettype = 'void'::regtype AND NOT p.proretset
                       THEN format('SELECT %s(%s)', target, args)
                       ELSE format('SELECT * FROM %s(%s)', target, args) END);
END $$;
COMMENT ON FUNCTION pgshift._routine_wrapper_sql(oid, name) IS
    'pgshift internal: the statement that makes a version schema''s wrapper of a function or procedure';

-- The app's views of the managed schema that a version carries. A copy is the migrating role's: one
-- that reads with its owner's rights (not security_invoker) is carried only when that owner is the
-- migrating role, or the copy would read with other rights than the view's; a security_invoker view
-- reads with its readers' rights, and is carried when the migrating role or the schema's owner owns
-- it (not a view a third role with CREATE on the schema put there). Materialized views hold data of
-- their own and stay in the managed schema.
CREATE FUNCTION pgshift._carried_views(schema name)
    RETURNS TABLE (view_oid oid, view_name name, carried boolean)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.oid, c.relname,
           c.relowner = (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user)
           OR (c.relowner = n.nspowner AND coalesce(c.reloptions, '{}') && ARRAY['security_invoker=true', 'security_invoker=on'])
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'v'
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY c.oid
$$;
COMMENT ON FUNCTION pgshift._carried_views(name) IS 'pgshift internal: the views of the schema a version schema re-creates';

-- The functions and operators a view's query calls, a version schema's wrapper counted as the
-- routine it wraps: a view's copy must call exactly what the view calls.
CREATE FUNCTION pgshift._view_calls(view_oid oid, version_schema name, schema name) RETURNS text[]
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT called ORDER BY called), '{}')
      FROM (SELECT CASE WHEN d.refclassid = 'pg_operator'::regclass THEN d.refobjid::regoperator::text
                        WHEN pn.nspname = $2 THEN
                             coalesce((SELECT o.oid::regprocedure::text FROM pg_proc o JOIN pg_namespace onn ON onn.oid = o.pronamespace
                                        WHERE onn.nspname = $3 AND o.proname = p.proname
                                          AND pg_get_function_identity_arguments(o.oid) = pg_get_function_identity_arguments(p.oid)),
                                      p.oid::regprocedure::text)
                        ELSE p.oid::regprocedure::text END AS called
              FROM pg_rewrite r
              JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
              LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
              LEFT JOIN pg_namespace pn ON pn.oid = p.pronamespace
             WHERE r.ev_class = $1 AND d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass)) calls
$$;
COMMENT ON FUNCTION pgshift._view_calls(oid, name, name) IS
    'pgshift internal: the routines and operators a view calls (a version schema''s wrappers as what they wrap)';

-- Gives the object the grants of its original (beyond the owner's), replacing the defaults.
CREATE FUNCTION pgshift._copy_grants(kind text, original_acl aclitem[], original_owner oid, copy text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g record;
BEGIN
    IF original_acl IS NULL THEN
        RETURN;   -- the original has the defaults, as the copy has
    END IF;
    EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC', kind, copy);
    FOR g IN SELECT a.privilege_type,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
               FROM aclexplode(original_acl) a WHERE a.grantee <> original_owner LOOP
        EXECUTE format('GRANT %s ON %s %s TO %s', g.privilege_type, kind, copy, g.grantee);
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._copy_grants(text, aclitem[], oid, text) IS 'pgshift internal: a carried object gets its original''s grants';

-- Run by _create_version_schema as the migrating role, after the views of the tables.
-- strict: a view that cannot answer in the version refuses (start); otherwise it is reported and left out
-- (a version schema that exists already gets what the schema has gained since: objects it has are kept).
CREATE FUNCTION pgshift._carry_schema_objects(schema name, version_schema name, version_name name, strict boolean)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t record;
    r record;
    v record;
    definition text;
    copy_options text;
    waiting oid[];
    failures text[];
    progress boolean;
    failure text;
    -- A schema that only holds shell types named like the managed schema's: on the search_path while a
    -- view is printed, it makes the view name those types qualified (the managed schema's own, whose
    -- operators an enum needs: PostgreSQL's enum operators do not take a domain over the enum) and
    -- everything else of the managed schema unqualified (to mean the version's, when made again).
    printing name := '_pgshift_print_' || pg_backend_pid() || '_' || left(md5(random()::text || clock_timestamp()::text), 12);
    made oid[] := '{}';   -- the copies this call makes: the only ones it checks (and, when lenient, drops)
    waiting_at_first boolean;
BEGIN
    -- A type or routine that cannot be carried (PostgreSQL refuses a domain over it, a wrapper of it)
    -- is reported and left out: the version schema still answers for everything else.
    FOR t IN SELECT * FROM pgshift._carried_types(schema) c
              WHERE NOT EXISTS (SELECT FROM pg_type x JOIN pg_namespace xn ON xn.oid = x.typnamespace
                                 WHERE xn.nspname = version_schema AND x.typname = c.type_name) LOOP
        BEGIN
            EXECUTE format('CREATE DOMAIN %I.%I AS %I.%I', version_schema, t.type_name, schema, t.type_name);
            PERFORM pgshift._copy_grants('DOMAIN', (SELECT typacl FROM pg_type WHERE oid = t.type_oid),
                                         (SELECT typowner FROM pg_type WHERE oid = t.type_oid),
                                         format('%I.%I', version_schema, t.type_name));
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'type %.% is not in version schema %: %', quote_ident(schema), quote_ident(t.type_name),
                          version_name, SQLERRM;
        END;
    END LOOP;
    FOR r IN SELECT c.routine, c.why_not, p.prokind, p.proacl, p.proowner,
                    format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS signature
               FROM pgshift._carried_routines(schema) c JOIN pg_proc p ON p.oid = c.routine
              WHERE NOT EXISTS (SELECT FROM pg_proc x JOIN pg_namespace xn ON xn.oid = x.pronamespace
                                 WHERE xn.nspname = version_schema AND x.proname = p.proname
                                   AND pg_get_function_identity_arguments(x.oid) = pg_get_function_identity_arguments(p.oid)) LOOP
        IF r.why_not IS NOT NULL THEN
            RAISE NOTICE 'routine %.% is not in version schema %: %', quote_ident(schema), r.signature, version_name, r.why_not;
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE pgshift._routine_wrapper_sql(r.routine, version_schema);
            PERFORM pgshift._copy_grants(CASE WHEN r.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.proacl,
                                         r.proowner, format('%I.%s', version_schema, r.signature));
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'routine %.% is not in version schema %: %', quote_ident(schema), r.signature, version_name, SQLERRM;
        END;
    END LOOP;
    FOR v IN SELECT c.*, pg_get_userbyid(o.relowner) AS owner FROM pgshift._carried_views(schema) c
               JOIN pg_class o ON o.oid = c.view_oid WHERE NOT c.carried AND strict LOOP
        RAISE WARNING 'view %.% is not in version schema %: it is owned by %, not by the migrating role %, and a copy would read with other rights',
                      quote_ident(schema), quote_ident(v.view_name), version_name, v.owner, current_user
            USING HINT = 'Make the view security_invoker, or migrate as its owner.';
    END LOOP;
    -- A view may read another: each round makes those whose views exist now, until none is left or
    -- a round makes none.
    waiting := ARRAY(SELECT c.view_oid FROM pgshift._carried_views(schema) c
                      WHERE c.carried AND NOT EXISTS (SELECT FROM pg_class x JOIN pg_namespace xn ON xn.oid = x.relnamespace
                                                       WHERE xn.nspname = version_schema AND x.relname = c.view_name));
    waiting_at_first := waiting <> '{}';
    IF waiting_at_first THEN
        -- (A name nobody can take beforehand; the schema is this role's, so all in it is its own.)
        EXECUTE format('CREATE SCHEMA %I', printing);
        FOR t IN SELECT * FROM pgshift._carried_types(schema) LOOP
            EXECUTE format('CREATE TYPE %I.%I', printing, t.type_name);
        END LOOP;
    END IF;
    LOOP
        progress := false;
        failures := '{}';
        FOR v IN SELECT c.oid, c.relname, c.reloptions, c.relacl, c.relowner
                   FROM unnest(waiting) w(oid) JOIN pg_class c ON c.oid = w.oid ORDER BY c.oid LOOP
            -- Printed with the managed schema on the path (behind the shell types), the query names its
            -- tables, views and functions unqualified, and all else qualified; made again with the
            -- version schema before it, those names mean the version's.
            PERFORM set_config('search_path', format('%I, %I', printing, schema), true);
            definition := pg_get_viewdef(v.oid);
            PERFORM set_config('search_path', format('pg_catalog, %I, %I, pg_temp', version_schema, schema), true);
            copy_options := coalesce((SELECT ' WITH (' || string_agg(o, ', ') || ')' FROM unnest(v.reloptions) o), '');
            BEGIN
                EXECUTE format('CREATE VIEW %I.%I%s AS %s', version_schema, v.relname, copy_options, definition);
                made := made || format('%I.%I', version_schema, v.relname)::regclass::oid;
                progress := true;
                waiting := array_remove(waiting, v.oid);
            EXCEPTION WHEN undefined_table OR undefined_column OR undefined_function OR undefined_object
                           OR datatype_mismatch OR ambiguous_column OR ambiguous_function THEN
                failures := failures || format('view %I.%I cannot answer in version %s: %s', schema, v.relname,
                                               version_name, SQLERRM);
            END;
            PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
        END LOOP;
        EXIT WHEN waiting = '{}' OR NOT progress;
    END LOOP;
    IF waiting_at_first THEN
        EXECUTE format('DROP SCHEMA %I CASCADE', printing);
    END IF;
    IF waiting <> '{}' AND NOT strict THEN
        FOREACH failure IN ARRAY failures LOOP
            RAISE WARNING '%', failure;
        END LOOP;
    ELSIF waiting <> '{}' THEN
        RAISE EXCEPTION '%', failures[1]
            USING ERRCODE = '0A000',
                  HINT = 'The version schema carries the schema''s views, made again over that version''s columns. '
                         'Redefine or drop the view in a migration of its own (a "sql" operation) before this one, '
                         'or make this migration keep what the view reads.';
    END IF;
    -- What a copy reads and calls must be what the view reads and calls, in that version. Only the
    -- copies made now: one made earlier follows the view as it was then (a later migration may have
    -- redefined the view), and complete or rollback must not fail on it.
    FOR v IN SELECT c.oid AS copy_oid, o.oid AS original_oid, c.relname, o.relacl, o.relowner
               FROM unnest(made) m(oid) JOIN pg_class c ON c.oid = m.oid
               JOIN pgshift._carried_views(schema) cv ON cv.view_name = c.relname AND cv.carried
               JOIN pg_class o ON o.oid = cv.view_oid LOOP
        failure := NULL;
        IF pgshift._view_calls(v.copy_oid, version_schema, schema) IS DISTINCT FROM
           pgshift._view_calls(v.original_oid, version_schema, schema) THEN
            failure := format('view %I.%I would call other functions or operators in version %s', schema, v.relname, version_name);
        ELSIF EXISTS (SELECT FROM pg_rewrite rw JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
                        JOIN pg_class rc ON rc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
                        JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                       WHERE rw.ev_class = v.copy_oid AND rn.nspname = schema AND rc.relkind IN ('r', 'p', 'f')) THEN
            failure := format('view %I.%I cannot answer in version %s: it reads a table that version does not show',
                              schema, v.relname, version_name);
        END IF;
        IF failure IS NOT NULL AND strict THEN
            RAISE EXCEPTION '%', failure
                USING ERRCODE = '0A000',
                      HINT = 'Schema-qualify the view''s calls, or drop or redefine the view in a migration of its own before this one.';
        ELSIF failure IS NOT NULL THEN
            RAISE WARNING '%: it is not in version schema %', failure, version_name;
            EXECUTE format('DROP VIEW %I.%I CASCADE', version_schema, v.relname);
        ELSE
            PERFORM pgshift._copy_grants('TABLE', v.relacl, v.relowner, format('%I.%I', version_schema, v.relname));
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._carry_schema_objects(name, name, name, boolean) IS
    'pgshift internal: gives a version schema the schema''s types, functions, procedures and views';


-- As 0.2.0's, and then the carried objects.
CREATE OR REPLACE FUNCTION pgshift._create_version_schema(schema name, version_schema name, view_overlay jsonb,
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
    PERFORM pgshift._carry_schema_objects(schema, version_schema, coalesce(version_name, version_schema), true);
    IF NOT pending THEN
        PERFORM pgshift._grant_like_tables(schema, version_schema);
    END IF;
END $$;


-- As 0.2.0's, but only pgshift's own views count as "made by 0.1.0" (a projection of a table of the
-- managed schema; a carried copy of the app's view reads the version's views or another schema's
-- tables); and then each live
-- version schema the role owns gets what the schema has gained since it was made.
CREATE OR REPLACE FUNCTION pgshift._replace_version_views(schema name) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET pgshift.internal = on AS $$
DECLARE
    v record;
    replaced integer := 0;
    version name;
BEGIN
    FOR v IN
        SELECT c.oid AS view_oid, n.nspname AS version_schema, c.relname AS view_name
          FROM pgshift.migrations m
          JOIN pg_namespace n ON n.nspname = m.version_schema
          JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind = 'v'
         WHERE m.schema = _replace_version_views.schema
           AND pg_get_viewdef(c.oid) NOT LIKE '%pgshift._version_view_%'
           -- pgshift's kind of view (a plain projection of one table, no condition), not one of the user's
           AND EXISTS (SELECT FROM pgshift._view_columns(c.oid) vc JOIN pg_class t ON t.oid = vc.table_oid
                         JOIN pg_namespace tn ON tn.oid = t.relnamespace
                        WHERE t.relkind IN ('r', 'p') AND tn.nspname = _replace_version_views.schema)
           AND pg_get_viewdef(c.oid) !~* '\mwhere\M'
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
    FOR version IN SELECT n.nspname FROM pgshift.live_versions(schema) lv JOIN pg_namespace n ON n.nspname = lv
                    WHERE pg_has_role(current_user, n.nspowner, 'USAGE') LOOP
        PERFORM pgshift._carry_schema_objects(schema, version, version, false);
    END LOOP;
    RETURN replaced;
END $$;


-- The blockers of a column's drop, less the foreign keys the plan re-points onto a changed primary
-- key (complete drops them before the column); NULL when none is left.
CREATE FUNCTION pgshift._without_repointed(blockers text[], schema name, plan jsonb) RETURNS text[]
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT nullif(ARRAY(SELECT b FROM unnest($1) b
                         WHERE b NOT IN (SELECT pg_describe_object('pg_constraint'::regclass, c.oid, 0)
                                           FROM jsonb_array_elements(coalesce($3->'repointed_foreign_keys', '[]')) r
                                           JOIN pg_constraint c ON c.conrelid = to_regclass(format('%I.%I', $2, r->>0))
                                                               AND c.conname = r->>1)), '{}')
$$;
COMMENT ON FUNCTION pgshift._without_repointed(text[], name, jsonb) IS
    'pgshift internal: drop blockers other than the foreign keys a plan re-points';

-- As 0.2.0's, with the re-pointed foreign keys left out.
CREATE OR REPLACE FUNCTION pgshift._check_completable(schema name, planned jsonb, pending name, who regrole) RETURNS void
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
        blockers := pgshift._without_repointed(pgshift._drop_blockers(schema, table_oid, item->>1, pending), schema, planned);
        IF blockers IS NOT NULL THEN
            RAISE EXCEPTION 'column "%" of table "%" could never be dropped at complete: % depend% on it', item->>1, item->>0,
                            array_to_string(blockers, ', '), CASE WHEN cardinality(blockers) = 1 THEN 's' ELSE '' END
                USING ERRCODE = '2BP01',
                      HINT = 'Drop or change what depends on the column first (a generated column can be changed in the '
                             'same migration), then start the migration again.';
        END IF;
    END LOOP;
END $$;

-- As 0.2.0's, with the re-pointed foreign keys left out.
CREATE OR REPLACE FUNCTION pgshift._require_completable(m pgshift.migrations) RETURNS void
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
        blockers := pgshift._without_repointed(pgshift._drop_blockers(m.schema, table_oid, item->>1), m.schema, m.plan);
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


-- Waiting for standbys (extension/pg/replication_wait.hpp).
ALTER TABLE pgshift.jobs ADD COLUMN max_replication_lag_ms integer CHECK (max_replication_lag_ms >= 0),
                         ADD COLUMN throttle text;
COMMENT ON COLUMN pgshift.jobs.max_replication_lag_ms IS
    'pgshift: the replay lag of a standby over which the backfill waits (NULL: the setting pgshift.max_replication_lag; 0: never)';
COMMENT ON COLUMN pgshift.jobs.throttle IS 'pgshift: why the backfill waits now (NULL: it does not)';

CREATE OR REPLACE VIEW pgshift.backfill_progress WITH (security_invoker = true) AS
SELECT j.schema, j.migration, j.table_name AS "table", j.state, j.rows_done,
       CASE WHEN j.rows_estimated IS NOT NULL THEN greatest(j.rows_estimated, j.rows_done) END AS rows_estimated,
       pgshift.worker_running(j.schema) AS worker_running,
       CASE WHEN j.started_at IS NULL OR j.rows_done = 0 THEN NULL
            ELSE round(j.rows_done / greatest(extract(epoch FROM coalesce(j.finished_at, j.updated_at) - j.started_at), 0.001))
       END AS rows_per_second,
       j.batch_size, j.last_batch_size, j.batch_delay_ms, j.batches, j.last_batch_ms, j.max_batch_ms,
       j.started_at, j.updated_at, j.finished_at, j.error,
       j.throttle, j.max_replication_lag_ms
  FROM pgshift.jobs j
 WHERE j.kind = 'backfill';

-- backfill_configure sets the bound too (0: the backfill never waits for standbys; NULL: unchanged).
DROP FUNCTION pgshift.backfill_configure(name, integer, integer);
DROP FUNCTION pgshift._backfill_configure(regrole, name, integer, integer);
CREATE FUNCTION pgshift._backfill_configure(caller regrole, schema name, batch_size integer, batch_delay_ms integer,
                                            max_replication_lag_ms integer)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgshift._authorize(caller, schema);
    PERFORM pgshift._acting_on(caller, schema);
    UPDATE pgshift.jobs j SET batch_size = CASE WHEN _backfill_configure.batch_size IS NULL THEN j.batch_size
                                                ELSE nullif(_backfill_configure.batch_size, 0) END,
                              batch_delay_ms = coalesce(_backfill_configure.batch_delay_ms, j.batch_delay_ms),
                              max_replication_lag_ms = coalesce(_backfill_configure.max_replication_lag_ms, j.max_replication_lag_ms),
                              updated_at = clock_timestamp()
     WHERE j.schema = _backfill_configure.schema AND j.state <> 'done';
END $$;
COMMENT ON FUNCTION pgshift._backfill_configure(regrole, name, integer, integer, integer) IS 'pgshift internal: backfill_configure, behind the gate';
REVOKE ALL ON FUNCTION pgshift._backfill_configure(regrole, name, integer, integer, integer) FROM PUBLIC;
CREATE FUNCTION pgshift.backfill_configure(schema name, batch_size integer DEFAULT NULL, batch_delay_ms integer DEFAULT NULL,
                                           max_replication_lag_ms integer DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'pgshift_api_gate' LANGUAGE C;
COMMENT ON FUNCTION pgshift.backfill_configure(name, integer, integer, integer) IS
    'pgshift: changes the running backfills of the schema: batch size (0: adaptive), pause between batches, and the replay lag of a standby over which they wait (0: never); NULL leaves a setting as it is';

-- As 0.2.0's, with start's option max_replication_lag_ms, the bound of the migration's jobs.
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
                              rows_estimated, batch_size, batch_delay_ms, max_replication_lag_ms, state)
    SELECT schema, planned->>'name', j.step, j.job->>'kind', j.job->>'table', j.job->>'statement', j.job->>'cleanup',
           coalesce((j.job->>'optional')::boolean, false),
           (SELECT nullif(greatest(c.reltuples, -1), -1)::bigint FROM pg_class c
             WHERE j.job ? 'table' AND c.oid = to_regclass(format('%I.%I', schema, j.job->>'table'))),
           nullif((options->>'backfill_batch_size')::integer, 0),
           coalesce((options->>'backfill_batch_delay_ms')::integer, 0),
           (options->>'max_replication_lag_ms')::integer,
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
    'pgshift: validates and starts a migration (expand), all or nothing; backfills and concurrent index builds then run in a background worker, and a version schema whose tables are backfilled opens when they are done (options: backfill_batch_size, adaptive when absent; backfill_batch_delay_ms; max_replication_lag_ms, the replay lag of a standby over which the backfill waits, 0: never, absent: the setting pgshift.max_replication_lag; paused: the jobs wait for backfill_resume)';
