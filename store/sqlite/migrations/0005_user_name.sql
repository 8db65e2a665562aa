-- SCIM userName, kept in one column so that a client's lookup
-- (filter=userName eq "x") is one index probe: the profile's userName (what
-- the IdP sent), else the account's email (members who did not come through
-- SCIM). The database keeps it, whatever writes the profile or the email.
-- memberships_user_name_key still makes the IdP's userNames unique per org.
ALTER TABLE memberships ADD COLUMN user_name TEXT NOT NULL DEFAULT '' COLLATE NOCASE;
UPDATE memberships SET user_name = COALESCE(json_extract(profile, '$."userName"'),
  (SELECT email FROM accounts WHERE accounts.id = memberships.account_id));
CREATE INDEX memberships_user_name ON memberships (org_id, user_name);

CREATE TRIGGER memberships_user_name_insert AFTER INSERT ON memberships BEGIN
  UPDATE memberships SET user_name = COALESCE(json_extract(NEW.profile, '$."userName"'),
    (SELECT email FROM accounts WHERE accounts.id = NEW.account_id))
  WHERE org_id = NEW.org_id AND account_id = NEW.account_id;
END;
CREATE TRIGGER memberships_user_name_update AFTER UPDATE OF profile, account_id ON memberships BEGIN
  UPDATE memberships SET user_name = COALESCE(json_extract(NEW.profile, '$."userName"'),
    (SELECT email FROM accounts WHERE accounts.id = NEW.account_id))
  WHERE org_id = NEW.org_id AND account_id = NEW.account_id;
END;
CREATE TRIGGER accounts_user_name AFTER UPDATE OF email ON accounts WHEN OLD.email IS NOT NEW.email BEGIN
  UPDATE memberships SET user_name = NEW.email
  WHERE account_id = NEW.id AND json_extract(profile, '$."userName"') IS NULL;
END;
