-- SSO sign-ins in progress (SAML request ids, OIDC state hashes) and used
-- SAML assertion ids, shared by every replica (see store/sso.go).
CREATE TABLE sso_flows (
    key           text PRIMARY KEY,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    data          text,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sso_flows_expires_at_idx ON sso_flows (expires_at);

CREATE TABLE sso_used_assertions (
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    assertion_id  text NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX sso_used_assertions_expires_at_idx ON sso_used_assertions (expires_at);
