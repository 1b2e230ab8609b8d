-- alter_column: the column gets a twin with the new definition; both versions read and write at
-- once (up: old -> new, down: new -> old), existing rows are backfilled, complete swaps the twin in.
\set SHOW_CONTEXT never
CREATE SCHEMA alt;
SELECT pgshift.start('alt', $${"name": "01", "operations": [
  {"create_table": {"name": "users", "columns": [{"name": "id", "type": "int", "pk": true}]}},
  {"create_table": {"name": "reviews", "columns": [
    {"name": "id", "type": "serial", "pk": true},
    {"name": "product", "type": "text"},
    {"name": "rating", "type": "text", "default": "'0'", "comment": "stars",
     "check": {"name": "rating_not_empty", "constraint": "rating <> ''"}},
    {"name": "review", "type": "text", "nullable": true},
    {"name": "user_id", "type": "int", "nullable": true}]}}]}$$) ->> 'status';
SELECT pgshift.complete('alt') ->> 'status';
CREATE INDEX reviews_rating_product ON alt.reviews (rating, product) WHERE rating <> '9';
INSERT INTO alt.users VALUES (1), (2);
INSERT INTO alt.reviews (product, rating, review, user_id) SELECT 'p' || g, (g % 5)::text, CASE WHEN g % 2 = 0 THEN 'nice' END, 1 + g % 3 FROM generate_series(1, 3000) g;

-- Type change: text -> integer.
SELECT pgshift.start('alt', $${"name": "02_rating_int", "operations": [
  {"alter_column": {"table": "reviews", "column": "rating", "type": "integer",
    "up": "CAST(rating AS integer)", "down": "CAST(rating AS text)"}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('alt');
SELECT pg_typeof(rating), count(*) FROM alt_02_rating_int.reviews GROUP BY 1;
SELECT count(*) AS backfilled FROM alt_02_rating_int.reviews r JOIN alt_01.reviews o USING (id) WHERE r.rating = o.rating::int;
-- The twin carries the column's default ('0' as a number), comment and NOT NULL; the check and the index do not fit the new
-- type, so they are skipped with a warning (as pgroll does) and go with the old column at complete.
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'alt.reviews'::regclass AND contype = 'c' ORDER BY 1;
SELECT indexrelid::regclass, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'alt.reviews'::regclass ORDER BY 1;
SET search_path TO alt_01;
INSERT INTO reviews (id, product, rating) VALUES (10001, 'old', '4');
SET search_path TO alt_02_rating_int;
INSERT INTO reviews (id, product, rating) VALUES (10002, 'new', 5);
INSERT INTO reviews (id, product) VALUES (10003, 'new-default');
RESET search_path;
SELECT id, rating FROM alt_01.reviews WHERE id > 10000 ORDER BY id;
SELECT id, rating FROM alt_02_rating_int.reviews WHERE id > 10000 ORDER BY id;
SELECT pgshift.complete('alt') ->> 'status';
SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid) AS default,
       col_description(attrelid, attnum) AS comment
  FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
 WHERE attrelid = 'alt.reviews'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'alt.reviews'::regclass ORDER BY 1;
SELECT indexrelid::regclass, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'alt.reviews'::regclass ORDER BY 1;

-- NOT NULL, unique, check, foreign key, comment and default together.
SELECT pgshift.start('alt', $${"name": "03_review_rules", "operations": [
  {"alter_column": {"table": "reviews", "column": "review", "nullable": false, "comment": "required now",
    "default": "'no review'", "unique": {"name": "reviews_review_unique"},
    "check": {"name": "review_length", "constraint": "length(review) > 3"},
    "up": "SELECT CASE WHEN review IS NULL THEN product || ' is good' ELSE review || ' ' || id END", "down": "review"}},
  {"alter_column": {"table": "reviews", "column": "user_id",
    "references": {"name": "fk_review_user", "table": "users", "column": "id", "on_delete": "SET NULL"},
    "up": "SELECT CASE WHEN user_id IN (1, 2) THEN user_id END", "down": "user_id"}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('alt');
SELECT count(*) FILTER (WHERE review IS NULL) AS null_reviews, count(DISTINCT review) = count(*) AS unique_reviews,
       count(*) FILTER (WHERE user_id = 3) AS dangling_users FROM alt_03_review_rules.reviews;
SET search_path TO alt_03_review_rules;
INSERT INTO reviews (id, product, rating) VALUES (20001, 'x', 1) RETURNING review;
INSERT INTO reviews (id, product, rating, review) VALUES (20002, 'x', 1, 'abc');   -- check
INSERT INTO reviews (id, product, rating, review) VALUES (20003, 'x', 1, NULL);    -- not null
INSERT INTO reviews (id, product, rating, review, user_id) VALUES (20004, 'x', 1, 'fine review', 7);  -- fk
SET search_path TO alt_02_rating_int;
INSERT INTO reviews (id, product, rating, review) VALUES (20005, 'old-client', 1, NULL);   -- up fills it
RESET search_path;
SELECT id, review FROM alt_03_review_rules.reviews WHERE id IN (20001, 20005) ORDER BY id;
SELECT pgshift.complete('alt') ->> 'status';
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'alt.reviews'::regclass ORDER BY 1;
SELECT attname, attnotnull, pg_get_expr(adbin, adrelid) AS default, col_description(attrelid, attnum) AS comment
  FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
 WHERE attrelid = 'alt.reviews'::regclass AND attname IN ('review', 'user_id');

-- Nullable again, then rolled back: nothing left behind.
CREATE TEMP TABLE before_start AS SELECT pgshift.read_schema('alt') AS snapshot;
SELECT pgshift.start('alt', $${"name": "04", "operations": [
  {"alter_column": {"table": "reviews", "column": "review", "nullable": true, "up": "review",
    "down": "SELECT CASE WHEN review IS NULL THEN 'none ' || id ELSE review END"}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('alt');
SET search_path TO alt_04;
INSERT INTO reviews (id, product, rating, review) VALUES (30001, 'x', 1, NULL);
RESET search_path;
SELECT id, review FROM alt.reviews WHERE id = 30001;
-- The twin got copies of the column's check and unique constraint (it stays unique).
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'alt.reviews'::regclass ORDER BY 1;
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'alt.reviews'::regclass ORDER BY 1;
SELECT pgshift.rollback('alt') ->> 'status';
SELECT pgshift.read_schema('alt') = snapshot AS unchanged FROM before_start;

-- Refused: no change, type without up/down, unknown column, a constraint name in use; a down
-- naming a column the new version lacks is accepted with a warning (pgroll accepts it).
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review"}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "type": "varchar(10)"}}]}');
-- As pgroll validates: a check or a foreign key needs up and down, NOT NULL needs up, nullable needs down.
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "up": "review", "check": {"name": "c", "constraint": "length(review) > 0"}}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "down": "review", "check": {"name": "c", "constraint": "length(review) > 0"}}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "up": "review", "references": {"name": "fk", "table": "reviews", "column": "id"}}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "down": "review", "nullable": false}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "rating", "up": "rating", "nullable": true}}]}');
-- A column changed twice in one migration: the second change goes onto the same new column, except a
-- second type (give the final type once).
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "type": "varchar(100)", "up": "review", "down": "review"}}, {"alter_column": {"table": "reviews", "column": "review", "type": "varchar(200)", "up": "review", "down": "review"}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "nope", "comment": "x"}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "unique": {"name": "review_length"}}}]}');
SELECT pgshift.start('alt', '{"name": "05", "operations": [{"alter_column": {"table": "reviews", "column": "review", "comment": "c", "up": "review", "down": "nosuch"}}]}') ->> 'status';
SELECT pgshift.rollback('alt') ->> 'status';
SELECT pgshift.read_schema('alt') = snapshot AS unchanged FROM before_start;
