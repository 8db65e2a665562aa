-- SCIM userName, kept in one column so that a client's lookup
-- (filter=userName eq "x") is one index probe that plans cheaply: it is the
-- profile's userName (what the IdP sent), else the account's email (members
-- who did not come through SCIM). The database keeps it, whatever writes the
-- profile or the email. memberships_user_name_key still makes the IdP's
-- userNames unique per org.
ALTER TABLE memberships ADD COLUMN user_name text;
UPDATE memberships m SET user_name = COALESCE(m.profile ->> 'userName', a.email)
  FROM accounts a WHERE a.id = m.account_id;
ALTER TABLE memberships ALTER COLUMN user_name SET NOT NULL;
CREATE INDEX memberships_user_name ON memberships (org_id, lower(user_name));

CREATE FUNCTION memberships_set_user_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.user_name := COALESCE(NEW.profile ->> 'userName', (SELECT email FROM accounts WHERE id = NEW.account_id));
  RETURN NEW;
END $$;
CREATE TRIGGER memberships_user_name BEFORE INSERT OR UPDATE OF profile, account_id ON memberships
  FOR EACH ROW EXECUTE FUNCTION memberships_set_user_name();

CREATE FUNCTION accounts_follow_user_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE memberships SET user_name = NEW.email WHERE account_id = NEW.id AND profile ->> 'userName' IS NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_name AFTER UPDATE OF email ON accounts
  FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION accounts_follow_user_name();
