\echo Use "ALTER EXTENSION pgshift UPDATE TO '0.5.0'" to load this file. \quit

-- pgshift 0.4.0 -> 0.5.0. CREATE EXTENSION pgshift runs 0.1.0's script and the updates to here.
-- What changed:
--   * rebuild_table (core/operations/rebuild_table.cpp): a table is rebuilt as a new physical table
--     (partitioned, another primary key) while both versions live. pgshift.rebuild_sync() is the row
--     trigger on both tables that makes each write on the other table too.
--   * Partitioned tables (create_table's partition_by, create_partition, detach_partition, indexes
--     and backfills on partitioned tables) need no SQL change: the planner is the library's.

CREATE FUNCTION pgshift.rebuild_sync() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pgshift_rebuild_sync' LANGUAGE C;
COMMENT ON FUNCTION pgshift.rebuild_sync() IS
    'pgshift: the row trigger that writes a write of a table being rebuilt on its rebuild too, and back (its arguments: the other table, what to do with a missing row, its key, the columns); as a TRUNCATE trigger, refuses TRUNCATE';
CREATE FUNCTION pgshift._rebuild_sync_wanted() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pgshift_rebuild_sync_wanted' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgshift._rebuild_sync_wanted() IS
    'pgshift internal: the WHEN condition of rebuild_sync(): false for its own mirror writes and for the worker''s copy';

-- The name a table's index or constraint has on its rebuild until complete (the original names are
-- the old table's until it is dropped): the same name gives the same stand-in.
CREATE FUNCTION pgshift._rebuild_name(original name) RETURNS name
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ('_pgshift_rb_' || left(md5(original::text), 16))::name
$$;
COMMENT ON FUNCTION pgshift._rebuild_name(name) IS 'pgshift internal: the stand-in name of a rebuilt table''s index or constraint';

-- At start: the rebuild (made LIKE the table: columns, defaults, NOT NULL and CHECK constraints,
-- comments of columns) gets the rest of what the table has, as it is when start runs: its primary
-- key on `key_columns`, its other unique and exclusion constraints and foreign keys, its other
-- indexes, its privileges, its owner and its comment. What pgshift cannot carry over yet is refused
-- with the table's name: its own triggers, row-level security.
CREATE FUNCTION pgshift._rebuild_prepare(old_table regclass, new_table regclass, key_columns name[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    item record;
    prefix text;
    definition text;
BEGIN
    IF EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = old_table AND NOT t.tgisinternal) THEN
        RAISE EXCEPTION 'table % has triggers of its own: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000', HINT = 'Drop them for the migration and create them again afterwards, or change the table with raw "sql".';
    END IF;
    IF EXISTS (SELECT FROM pg_class c WHERE c.oid = old_table AND (c.relrowsecurity OR c.relforcerowsecurity))
       OR EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = old_table) THEN
        RAISE EXCEPTION 'table % has row-level security: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000';
    END IF;
    IF EXISTS (SELECT FROM pg_publication_rel p WHERE p.prrelid = old_table)
       OR EXISTS (SELECT FROM pg_publication p WHERE p.puballtables) THEN
        RAISE EXCEPTION 'table % is published for logical replication: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000', HINT = 'Its subscribers would stop receiving its changes at complete.';
    END IF;
    IF EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = old_table AND NOT c.convalidated) THEN
        RAISE EXCEPTION 'table % has a constraint that is NOT VALID: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000', HINT = 'Validate it first (ALTER TABLE ... VALIDATE CONSTRAINT): the rebuild checks every row it copies.';
    END IF;
    IF EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = old_table AND c.contype = 'p' AND c.condeferrable) THEN
        RAISE EXCEPTION 'table % has a deferrable primary key: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000';
    END IF;
    IF (SELECT c.relreplident FROM pg_class c WHERE c.oid = old_table) = 'i' THEN
        RAISE EXCEPTION 'table % has a replica identity by index: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000';
    END IF;
    -- The key, under the stand-in of the old key's name (the table's own name for it when it has none).
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (%s)', new_table,
                   pgshift._rebuild_name(coalesce((SELECT c.conname FROM pg_constraint c
                                                     WHERE c.conrelid = old_table AND c.contype = 'p'),
                                                  (SELECT c.relname || '_pkey' FROM pg_class c WHERE c.oid = old_table)::name)),
                   (SELECT string_agg(quote_ident(k), ', ' ORDER BY o) FROM unnest(key_columns) WITH ORDINALITY u(k, o)));
    -- Unique and exclusion constraints and foreign keys, as PostgreSQL prints them.
    FOR item IN SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c
                 WHERE c.conrelid = old_table AND c.contype IN ('u', 'x', 'f') ORDER BY c.contype DESC, c.conname LOOP
        -- A foreign key's name is the table's own business; the others name an index, one per schema.
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', new_table,
                       CASE WHEN item.contype = 'f' THEN item.conname ELSE pgshift._rebuild_name(item.conname) END, item.definition);
    END LOOP;
    -- The other indexes: pg_get_indexdef's text with the stand-in name and the rebuild's name.
    FOR item IN SELECT i.indexrelid, x.relname, i.indisunique, pg_get_indexdef(i.indexrelid) AS definition,
                       quote_ident(n.nspname) || '.' || quote_ident(t.relname) AS on_table
                  FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
                  JOIN pg_namespace n ON n.oid = t.relnamespace
                 WHERE i.indrelid = old_table
                   AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = old_table)
                 ORDER BY x.relname LOOP
        prefix := format('CREATE %sINDEX %s ON %s USING ', CASE WHEN item.indisunique THEN 'UNIQUE ' ELSE '' END,
                         quote_ident(item.relname), item.on_table);
        IF left(item.definition, length(prefix)) <> prefix THEN
            RAISE EXCEPTION 'pgshift cannot copy index % of table %: %', item.relname, old_table, item.definition
                USING ERRCODE = '0A000';
        END IF;
        definition := format('CREATE %sINDEX %I ON %s USING ', CASE WHEN item.indisunique THEN 'UNIQUE ' ELSE '' END,
                             pgshift._rebuild_name(item.relname), new_table) || substr(item.definition, length(prefix) + 1);
        EXECUTE definition;
    END LOOP;
    -- Privileges, owner, comment, replica identity.
    FOR item IN SELECT a.privilege_type, a.is_grantable,
                       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
                  FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = old_table AND a.grantee <> c.relowner LOOP
        EXECUTE format('GRANT %s ON %s TO %s%s', item.privilege_type, new_table, item.grantee,
                       CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    FOR item IN SELECT a.attname, x.privilege_type, x.is_grantable,
                       CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END AS grantee
                  FROM pg_attribute a, aclexplode(a.attacl) x
                 WHERE a.attrelid = old_table AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL LOOP
        EXECUTE format('GRANT %s (%I) ON %s TO %s%s', item.privilege_type, item.attname, new_table, item.grantee,
                       CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    FOR item IN SELECT new_table::oid AS relation UNION ALL SELECT p.relid FROM pg_partition_tree(new_table) p WHERE p.relid <> new_table LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', item.relation::regclass,
                       (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = old_table));
    END LOOP;
    EXECUTE format('COMMENT ON TABLE %s IS %L', new_table, obj_description(old_table, 'pg_class'));
    IF (SELECT c.relreplident FROM pg_class c WHERE c.oid = old_table) IN ('f', 'n') THEN
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY %s', new_table,
                       CASE (SELECT c.relreplident FROM pg_class c WHERE c.oid = old_table) WHEN 'f' THEN 'FULL' ELSE 'NOTHING' END);
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._rebuild_prepare(regclass, regclass, name[]) IS
    'pgshift internal: gives a table''s rebuild the key, constraints, indexes, privileges, owner and comment of the table';

-- At complete: the rebuild takes the table's place. Sequences the table's columns own go to the
-- rebuild's columns (dropping the table would drop them), the table is dropped, and the rebuild's
-- constraints and indexes take the names they stand in for. (Its own name comes with the final
-- table renames.)
CREATE FUNCTION pgshift._rebuild_swap(old_table regclass, new_table regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    item record;
    constraints name[];
    indexes name[];
    original name;
BEGIN
    -- The rebuild first, then the table: the new version's writers (the ones left at complete) lock
    -- them in that order, the rebuild by their statement and the table through its trigger, so
    -- complete waits for them instead of deadlocking with them.
    EXECUTE format('LOCK TABLE %s, %s IN ACCESS EXCLUSIVE MODE', new_table, old_table);
    EXECUTE format('DROP TRIGGER IF EXISTS "~pgshift_rebuild_sync" ON %s', new_table);
    FOR item IN SELECT p.relid FROM pg_partition_tree(new_table) p LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS "~pgshift_rebuild_truncate" ON %s', item.relid::regclass);
    END LOOP;
    FOR item IN SELECT d.objid::regclass AS sequence, a.attname FROM pg_depend d
                  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                   AND d.refobjid = old_table AND d.deptype = 'a'
                   AND (SELECT c.relkind FROM pg_class c WHERE c.oid = d.objid) = 'S' LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', item.sequence, new_table, item.attname);
    END LOOP;
    constraints := ARRAY(SELECT c.conname FROM pg_constraint c WHERE c.conrelid = old_table AND c.contype IN ('p', 'u', 'x'));
    indexes := ARRAY(SELECT x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
                      WHERE i.indrelid = old_table
                        AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = old_table));
    -- A constraint or index the table got after start has no stand-in: complete refuses (the
    -- transaction rolls back, nothing lost) rather than drop it with the table.
    FOREACH original IN ARRAY constraints || indexes LOOP
        IF to_regclass(quote_ident((SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                     WHERE c.oid = new_table)) || '.' || quote_ident(pgshift._rebuild_name(original))) IS NULL THEN
            RAISE EXCEPTION 'index or constraint "%" of table % was made after the rebuild started: it would be lost', original, old_table
                USING ERRCODE = '55000',
                      HINT = 'Drop it and make it again after complete, or roll the migration back and start it again.';
        END IF;
    END LOOP;
    EXECUTE format('DROP TABLE %s', old_table);
    FOREACH original IN ARRAY constraints LOOP
        EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', new_table, pgshift._rebuild_name(original), original);
    END LOOP;
    FOREACH original IN ARRAY indexes LOOP
        EXECUTE format('ALTER INDEX %s RENAME TO %I',
                       (quote_ident((SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = new_table))
                        || '.' || quote_ident(pgshift._rebuild_name(original))), original);
    END LOOP;
END $$;
COMMENT ON FUNCTION pgshift._rebuild_swap(regclass, regclass) IS
    'pgshift internal: puts a table''s rebuild in its place at complete (sequences, drop, names)';
