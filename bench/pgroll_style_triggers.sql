-- The dual-write triggers of a pgroll-style alter_column (name -> NOT NULL, up/down SQL), as in
-- ../shared/bench/pgroll-style-anchors.sh, for a table `users` found on search_path. Used by the
-- benchmarks as pgroll's figure.
ALTER TABLE users ADD COLUMN _pgroll_new_name varchar(255);
ALTER TABLE users ADD COLUMN _pgroll_needs_backfill boolean DEFAULT true;
CREATE FUNCTION users_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE id users.id%TYPE := NEW.id; name users.name%TYPE := NEW.name;
  _pgroll_new_name users._pgroll_new_name%TYPE := NEW._pgroll_new_name; sp text;
BEGIN
  SELECT current_setting INTO sp FROM current_setting('search_path');
  IF sp != 'public_02_alter_column' THEN
    NEW._pgroll_new_name = (SELECT CASE WHEN name IS NULL THEN 'placeholder' ELSE name END);
    NEW._pgroll_needs_backfill = false;
  END IF; RETURN NEW; END $$;
CREATE FUNCTION users_down() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE id users.id%TYPE := NEW.id; name users._pgroll_new_name%TYPE := NEW._pgroll_new_name; sp text;
BEGIN
  SELECT current_setting INTO sp FROM current_setting('search_path');
  IF sp = 'public_02_alter_column' THEN
    NEW.name = name;
    NEW._pgroll_needs_backfill = false;
  END IF; RETURN NEW; END $$;
CREATE TRIGGER users_up BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_up();
CREATE TRIGGER users_down BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_down();
