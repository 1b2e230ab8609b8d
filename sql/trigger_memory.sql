-- A long-lived (pooled) backend keeps bounded memory while it writes through alternating versions
-- and search_paths, while a broken `down` fails write after write, and once migrations end (the
-- compiled triggers of dropped triggers are freed) (issue 10, case 9).
\set SHOW_CONTEXT never
CREATE SCHEMA tm;
SELECT pgshift.start('tm', $${"name": "01", "operations": [
  {"create_table": {"name": "t", "columns": [{"name": "id", "type": "int", "pk": true}, {"name": "v", "type": "text"}]}}]}$$) ->> 'status';
SELECT pgshift.complete('tm') ->> 'status';
INSERT INTO tm.t SELECT g, g::text FROM generate_series(1, 100) g;
SELECT pgshift.start('tm', $${"name": "02", "operations": [
  {"alter_column": {"table": "t", "column": "v", "type": "bigint", "up": "CAST(v AS bigint)", "down": "CAST(v AS text)"}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('tm');

CREATE FUNCTION tm.backend_bytes() RETURNS bigint LANGUAGE sql AS
  'SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts';
-- n writes, alternating: through each version's view, and to the table under each search_path.
CREATE PROCEDURE tm.write_alternating(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    CASE i % 4
      WHEN 0 THEN UPDATE tm_01.t SET v = (i % 100)::text WHERE id = 1 + i % 100;
      WHEN 1 THEN UPDATE tm_02.t SET v = i % 100 WHERE id = 1 + i % 100;
      WHEN 2 THEN PERFORM set_config('search_path', 'tm_02, tm', true); UPDATE tm.t SET v = (i % 100)::text WHERE id = 1 + i % 100;
      ELSE PERFORM set_config('search_path', 'tm_01, tm', true); UPDATE tm.t SET v = (i % 100)::text WHERE id = 1 + i % 100;
    END CASE;
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
  COMMIT;
END $$;
CALL tm.write_alternating(4000);   -- warm: every path compiled once
SELECT tm.backend_bytes() AS warm \gset
CALL tm.write_alternating(40000);
SELECT tm.backend_bytes() - :warm < 64 * 1024 AS bounded_after_40000_writes;
SELECT count(*) AS disagree FROM tm_01.t o JOIN tm_02.t n USING (id) WHERE n.v IS DISTINCT FROM o.v::bigint;
SELECT pgshift.complete('tm') ->> 'status';

-- A `down` that names a column the new version lacks fails every write through the new version (as
-- in pgroll); failing again and again must not cost memory each time.
SELECT pgshift.start('tm', $${"name": "03", "operations": [
  {"alter_column": {"table": "t", "column": "v", "type": "numeric", "up": "v", "down": "missing_column"}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('tm');
CREATE PROCEDURE tm.write_failing(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    BEGIN
      UPDATE tm_03.t SET v = i WHERE id = 1;
    EXCEPTION WHEN undefined_column THEN NULL;
    END;
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
  COMMIT;
END $$;
CALL tm.write_failing(500);
SELECT tm.backend_bytes() AS warm \gset
CALL tm.write_failing(5000);
SELECT tm.backend_bytes() - :warm < 64 * 1024 AS bounded_after_5000_failures;
SELECT pgshift.rollback('tm') ->> 'status';

-- The triggers are gone: so are their compiled forms in this backend, once the transaction ended.
SELECT count(*) AS compiled_triggers_left FROM pg_backend_memory_contexts WHERE name = 'pgshift dual_write';
