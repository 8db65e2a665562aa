-- Signing-key rotation (store/oauth.go RotateSigningKeys): a key signs from
-- signs_from (the next key is published ahead of it) and, once replaced, is
-- kept until retire_at, when every token it signed has expired. The one row
-- of oauth_key_rotation is locked by a rotation (SQLite serializes writers).
ALTER TABLE oauth_signing_keys ADD COLUMN signs_from INTEGER NOT NULL DEFAULT 0;
UPDATE oauth_signing_keys SET signs_from = created_at;
ALTER TABLE oauth_signing_keys ADD COLUMN retire_at INTEGER;
CREATE TABLE oauth_key_rotation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    rotated_at INTEGER
) STRICT;
INSERT INTO oauth_key_rotation (id) VALUES (1);
