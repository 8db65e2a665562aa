-- Signing-key rotation (store/oauth.go RotateSigningKeys): a key signs from
-- signs_from (the next key is published ahead of it) and, once replaced, is
-- kept until retire_at, when every token it signed has expired. The one row
-- of oauth_key_rotation is locked by a rotation, so replicas never rotate
-- twice at once.
ALTER TABLE oauth_signing_keys ADD COLUMN signs_from timestamptz;
UPDATE oauth_signing_keys SET signs_from = created_at;
ALTER TABLE oauth_signing_keys ALTER COLUMN signs_from SET NOT NULL;
ALTER TABLE oauth_signing_keys ADD COLUMN retire_at timestamptz;
CREATE TABLE oauth_key_rotation (
    id         integer PRIMARY KEY CHECK (id = 1),
    rotated_at timestamptz
);
INSERT INTO oauth_key_rotation (id) VALUES (1);
