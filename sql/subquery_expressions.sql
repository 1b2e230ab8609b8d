-- An `up` that reads another table (pgroll example 21): run as a prepared query per row.
\set SHOW_CONTEXT never
CREATE SCHEMA sq;
SELECT pgshift.start('sq', '{"name":"01","operations":[{"create_table":{"name":"users","columns":[{"name":"id","type":"int","pk":true}]}},{"create_table":{"name":"posts","columns":[{"name":"id","type":"serial","pk":true},{"name":"user_id","type":"int","nullable":true}]}}]}') ->> 'status';
SELECT pgshift.complete('sq') ->> 'status';
INSERT INTO sq.users VALUES (1), (2);
INSERT INTO sq.posts (user_id) VALUES (1), (2), (3), (4);
SELECT pgshift.start('sq', $${"name":"02","operations":[{"alter_column":{"table":"posts","column":"user_id",
  "references":{"name":"fk_users_id","table":"users","column":"id","on_delete":"CASCADE"},
  "up":"SELECT CASE WHEN EXISTS (SELECT 1 FROM users WHERE users.id = user_id) THEN user_id ELSE NULL END","down":"user_id"}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('sq');
SELECT * FROM sq_02.posts ORDER BY id;
SET search_path TO sq_01;
INSERT INTO posts (user_id) VALUES (2), (9);   -- through the old version: 9 has no user
-- The session's temporary schema appears and the table the query reads is analyzed: the plan
-- cache analyzes the expression's query again, which must find the same names (and not crash).
CREATE TEMP TABLE scratch (x int);
ANALYZE sq.users;
INSERT INTO posts (user_id) VALUES (1);
RESET search_path;
SELECT * FROM sq_02.posts ORDER BY id;
SELECT pgshift.complete('sq') ->> 'status';
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'fk_users_id';
-- A subquery in `up` may not return several rows.
SELECT pgshift.start('sq', $${"name":"03","operations":[{"add_column":{"table":"posts","up":"(SELECT id FROM users)","column":{"name":"x","type":"int","nullable":true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('sq');
SELECT pgshift.rollback('sq') ->> 'status';
-- A column of the row inside a subquery of `up` is an outer reference of it (this once crashed the server).
SELECT pgshift.start('sq', $${"name":"04","operations":[{"add_column":{"table":"posts","up":"(SELECT 'post ' || id WHERE true)","column":{"name":"label","type":"text","nullable":true}}}]}$$) ->> 'status';
CALL pgshift.wait_for_jobs('sq');
SELECT id, label FROM sq_04.posts ORDER BY id;
SELECT pgshift.rollback('sq') ->> 'status';
