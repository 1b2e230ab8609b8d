#include "core/sequence_handover.hpp"

#include "core/pinned_block.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

namespace {

// Where the identity's settings wait between the two complete steps (a transaction-local setting:
// complete's steps are one transaction), keyed by the table and the twin.
std::string state_key(const std::string &table_literal, const std::string &twin_literal)
{
	return "'pgshift_swap.t' || " + table_literal + "::pg_catalog.regclass::pg_catalog.oid || '_' || pg_catalog.md5(" +
	       twin_literal + ")";
}

}  // namespace

std::string twin_draws_from_identity_sql(const std::string &qualified_table, const std::string &old_column,
                                         const std::string &twin)
{
	const std::string table = quote_literal(qualified_table);
	return pinned_do_block("    seq text := pg_catalog.pg_get_serial_sequence(" + table + ", " + quote_literal(old_column) + ");",
	                       "        IF seq IS NOT NULL THEN\n"
	                       "            EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT "
	                       "pg_catalog.nextval(%L::pg_catalog.regclass)', " + table + ", " + quote_literal(twin) + ", seq);\n"
	                       "        END IF;");
}

std::string hand_sequence_to_twin_sql(const std::string &qualified_table, const std::string &old_column,
                                      const std::string &twin)
{
	const std::string table = quote_literal(qualified_table), old = quote_literal(old_column), new_ = quote_literal(twin);
	return pinned_do_block(R"(    tbl pg_catalog.regclass := )" + table + R"(::pg_catalog.regclass;
    seq pg_catalog.regclass := pg_catalog.pg_get_serial_sequence()" + table + ", " + old + R"()::pg_catalog.regclass;
    kind "char";
    s pg_catalog.pg_sequence;
    view_defaults jsonb;
    v record;)", R"(
    IF seq IS NULL THEN
        EXIT pgshift_body;
    END IF;
    SELECT a.attidentity INTO kind FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = )" + old + R"(;
    SELECT * INTO s FROM pg_catalog.pg_sequence q WHERE q.seqrelid = seq;
    IF kind = '' THEN
        EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', seq, tbl, )" + new_ + R"();
        IF s.seqtypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype) AND
           (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = )" + new_ + R"() =
           'pg_catalog.int8'::pg_catalog.regtype THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s AS bigint', seq);
        END IF;
        EXIT pgshift_body;
    END IF;
    -- No nextval() may hand out a value between the one read here and the new identity's start: an
    -- ALTER SEQUENCE holds a lock nextval() waits for, until complete commits.
    EXECUTE pg_catalog.format('ALTER SEQUENCE %s CACHE %s', seq, s.seqcache);
    -- The defaults that draw from the identity's sequence (the twin's, views') go with it.
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(d.adrelid::pg_catalog.regclass::text, a.attname, c.relkind)) INTO view_defaults
      FROM pg_catalog.pg_depend dep
      JOIN pg_catalog.pg_attrdef d ON dep.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.oid = dep.objid
      JOIN pg_catalog.pg_class c ON c.oid = d.adrelid
      JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
     WHERE dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.refobjid = seq
       AND (c.relkind = 'v' OR (d.adrelid = tbl AND a.attname = )" + new_ + R"());
    FOR v IN SELECT e->>0 AS rel, e->>1 AS col, e->>2 AS relkind FROM pg_catalog.jsonb_array_elements(coalesce(view_defaults, '[]')) e LOOP
        EXECUTE pg_catalog.format('ALTER %s %s ALTER COLUMN %I DROP DEFAULT',
                                  CASE WHEN v.relkind = 'v' THEN 'VIEW' ELSE 'TABLE' END, v.rel, v.col);
    END LOOP;
    PERFORM pg_catalog.set_config()" + state_key(table, new_) + R"(, pg_catalog.jsonb_build_object(
        'kind', kind, 'relname', (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = seq),
        'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
        'start', s.seqstart, 'last', pg_catalog.pg_sequence_last_value(seq),
        'acl', (SELECT c.relacl::text FROM pg_catalog.pg_class c WHERE c.oid = seq),
        'owner', (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = seq),
        'comment', pg_catalog.obj_description(seq, 'pg_class'),
        'max_is_types', s.seqmax = CASE s.seqtypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767
                                                   WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647
                                                   ELSE 9223372036854775807 END,
        'views', (SELECT pg_catalog.jsonb_agg(e) FROM pg_catalog.jsonb_array_elements(coalesce(view_defaults, '[]')) e
                   WHERE e->>2 = 'v'))::text, true);)");
}

std::string restore_identity_sql(const std::string &qualified_table, const std::string &twin)
{
	const std::string table = quote_literal(qualified_table), new_ = quote_literal(twin);
	return pinned_do_block(R"(    tbl pg_catalog.regclass := )" + table + R"(::pg_catalog.regclass;
    state jsonb := NULLIF(pg_catalog.current_setting()" + state_key(table, new_) + R"(, true), '')::jsonb;
    seq pg_catalog.regclass;
    v jsonb;
    g record;)", R"(
    IF state IS NULL THEN
        EXIT pgshift_body;
    END IF;
    -- The old type's maximum becomes the new type's (integer -> bigint); a maximum of one's own stays.
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I ADD GENERATED %s AS IDENTITY (INCREMENT BY %s MINVALUE %s %s START WITH %s CACHE %s %s)',
                              tbl, )" + new_ + R"(, CASE WHEN state->>'kind' = 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END,
                              state->>'increment', state->>'min',
                              CASE WHEN (state->>'max_is_types')::boolean THEN '' ELSE 'MAXVALUE ' || (state->>'max') END,
                              state->>'start', state->>'cache', CASE WHEN (state->>'cycle')::boolean THEN 'CYCLE' ELSE 'NO CYCLE' END);
    IF state->>'last' IS NOT NULL THEN
        EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I RESTART WITH %s', tbl, )" + new_ + R"(,
                                  (state->>'last')::bigint + (state->>'increment')::bigint);
    END IF;
    seq := pg_catalog.pg_get_serial_sequence(tbl::text, )" + new_ + R"()::pg_catalog.regclass;
    EXECUTE pg_catalog.format('ALTER SEQUENCE %s RENAME TO %I', seq, state->>'relname');
    -- The old sequence's grants and comment (its owner is the table's, as the new one's is).
    FOR g IN SELECT a.privilege_type, a.grantee, a.is_grantable
               FROM pg_catalog.aclexplode((state->>'acl')::pg_catalog.aclitem[]) a
              WHERE state->>'acl' IS NOT NULL AND a.grantee <> (state->>'owner')::pg_catalog.oid LOOP
        EXECUTE pg_catalog.format('GRANT %s ON SEQUENCE %s TO %s%s', g.privilege_type, seq,
                                  CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
                                  CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    IF state->>'comment' IS NOT NULL THEN
        EXECUTE pg_catalog.format('COMMENT ON SEQUENCE %s IS %L', seq, state->>'comment');
    END IF;
    -- Views pass DEFAULT on to a GENERATED ALWAYS column: only BY DEFAULT ones have a default of their own.
    FOR v IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(state->'views', '[]')) e WHERE state->>'kind' = 'd' LOOP
        EXECUTE pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT pg_catalog.nextval(%L::pg_catalog.regclass)',
                                  v->>0, v->>1, seq::pg_catalog.oid);
    END LOOP;
    PERFORM pg_catalog.set_config()" + state_key(table, new_) + R"(, '', true);)");
}

}  // namespace pgshift
