-- idbridge as the OpenID Provider of the platform's applications (see
-- store/apps.go and store/oauth.go): registered applications, authorization
-- requests and their codes, grants (one per sign-in of a person into an app,
-- the family of its tokens), access and refresh tokens, and signing keys.
CREATE TABLE oauth_apps (
    id                        uuid PRIMARY KEY,
    name                      text NOT NULL,
    secret_hash               bytea,
    redirect_uris             text NOT NULL,
    post_logout_redirect_uris text NOT NULL,
    org_ids                   text NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);

CREATE TABLE oauth_auth_requests (
    id           uuid PRIMARY KEY,
    app_id       uuid NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    data         text NOT NULL,
    code_hash    bytea UNIQUE,
    code_used_at timestamptz,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX oauth_auth_requests_expires_at_idx ON oauth_auth_requests (expires_at);

CREATE TABLE oauth_grants (
    id              uuid PRIMARY KEY,
    app_id          uuid NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    auth_request_id uuid,
    session_id      text NOT NULL,
    scopes          text NOT NULL,
    amr             text NOT NULL,
    auth_time       timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX oauth_grants_account_org_idx ON oauth_grants (account_id, org_id);
CREATE INDEX oauth_grants_auth_request_idx ON oauth_grants (auth_request_id);
CREATE INDEX oauth_grants_expires_at_idx ON oauth_grants (expires_at);

CREATE TABLE oauth_tokens (
    id         uuid PRIMARY KEY,
    grant_id   uuid NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    hash       bytea UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX oauth_tokens_grant_idx ON oauth_tokens (grant_id);

CREATE TABLE oauth_signing_keys (
    id          text PRIMARY KEY,
    alg         text NOT NULL,
    private_key text NOT NULL,
    created_at  timestamptz NOT NULL
);
