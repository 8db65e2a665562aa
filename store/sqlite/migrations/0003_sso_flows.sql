-- SSO sign-ins in progress (SAML request ids, OIDC state hashes) and used
-- SAML assertion ids, shared by every replica (see store/sso.go).
CREATE TABLE sso_flows (
    key           TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    data          TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX sso_flows_expires_at_idx ON sso_flows (expires_at);

CREATE TABLE sso_used_assertions (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    assertion_id  TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
) STRICT;
CREATE INDEX sso_used_assertions_expires_at_idx ON sso_used_assertions (expires_at);
