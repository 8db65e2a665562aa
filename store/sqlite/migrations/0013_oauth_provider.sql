-- idbridge as the OpenID Provider of the platform's applications (see
-- store/apps.go and store/oauth.go): registered applications, authorization
-- requests and their codes, grants (one per sign-in of a person into an app,
-- the family of its tokens), access and refresh tokens, and signing keys.
CREATE TABLE oauth_apps (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    secret_hash               BLOB,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    org_ids                   TEXT NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
) STRICT;

CREATE TABLE oauth_auth_requests (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    data         TEXT NOT NULL,
    code_hash    BLOB UNIQUE,
    code_used_at INTEGER,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX oauth_auth_requests_expires_at_idx ON oauth_auth_requests (expires_at);

CREATE TABLE oauth_grants (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    auth_request_id TEXT,
    session_id      TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    amr             TEXT NOT NULL,
    auth_time       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX oauth_grants_account_org_idx ON oauth_grants (account_id, org_id);
CREATE INDEX oauth_grants_auth_request_idx ON oauth_grants (auth_request_id);
CREATE INDEX oauth_grants_expires_at_idx ON oauth_grants (expires_at);

CREATE TABLE oauth_tokens (
    id         TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    hash       BLOB UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
CREATE INDEX oauth_tokens_grant_idx ON oauth_tokens (grant_id);

CREATE TABLE oauth_signing_keys (
    id          TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
