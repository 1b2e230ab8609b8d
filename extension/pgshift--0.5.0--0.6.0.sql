\echo Use "ALTER EXTENSION pgshift UPDATE TO '0.6.0'" to load this file. \quit

-- pgshift 0.5.0 -> 0.6.0. CREATE EXTENSION pgshift runs 0.1.0's script and the updates to here.
-- What changed:
--   * rebuild_table carries row-level security over to the rebuild (its policies, and whether it
--     is enabled): pgshift._rebuild_prepare, which refused any table with row-level security,
--     refuses only one that forces it on its owner.
--   * rebuild_table combined with column and index operations on the same table, and foreign keys
--     that point at a rebuilt table, need no SQL change: the planner is the library's.

-- At start: the rebuild (made LIKE the table: columns, defaults, NOT NULL and CHECK constraints,
-- comments of columns) gets the rest of what the table has, as it is when start runs: its primary
-- key on `key_columns`, its other unique and exclusion constraints and foreign keys, its other
-- indexes, its privileges, its owner, its comment and its row-level security (policies, and whether it
-- is on). What pgshift cannot carry over yet is refused with the table's name: its own triggers,
-- row-level security forced on the owner.
CREATE OR REPLACE FUNCTION pgshift._rebuild_prepare(old_table regclass, new_table regclass, key_columns name[]) RETURNS void
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
    -- Forced, row-level security would apply to the owner, as whom the mirror trigger writes.
    IF EXISTS (SELECT FROM pg_class c WHERE c.oid = old_table AND c.relforcerowsecurity) THEN
        RAISE EXCEPTION 'table % forces row-level security on its owner: pgshift cannot rebuild it yet', old_table
            USING ERRCODE = '0A000', HINT = 'The rebuild''s triggers write as the owner. NO FORCE it for the migration, or change the table with raw "sql".';
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
    -- Row-level security: its policies as PostgreSQL prints their expressions, and whether it is on.
    -- (The worker copies with row_security off: a copy that a policy would filter fails instead.)
    FOR item IN SELECT p.polname, p.polpermissive, p.polcmd, pg_get_expr(p.polqual, p.polrelid) AS qual,
                       pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
                       (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ')
                          FROM unnest(p.polroles) r) AS roles
                  FROM pg_policy p WHERE p.polrelid = old_table ORDER BY p.polname LOOP
        EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', item.polname, new_table,
                       CASE WHEN item.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                       CASE item.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                        WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                       item.roles,
                       CASE WHEN item.qual IS NOT NULL THEN format(' USING (%s)', item.qual) ELSE '' END,
                       CASE WHEN item.with_check IS NOT NULL THEN format(' WITH CHECK (%s)', item.with_check) ELSE '' END);
    END LOOP;
    IF (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = old_table) THEN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', new_table);
    END IF;
    IF (SELECT c.relreplident FROM pg_class c WHERE c.oid = old_table) IN ('f', 'n') THEN
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY %s', new_table,
                       CASE (SELECT c.relreplident FROM pg_class c WHERE c.oid = old_table) WHEN 'f' THEN 'FULL' ELSE 'NOTHING' END);
    END IF;
END $$;
COMMENT ON FUNCTION pgshift._rebuild_prepare(regclass, regclass, name[]) IS
    'pgshift internal: gives a table''s rebuild the key, constraints, indexes, privileges, owner, comment and row-level security of the table';
