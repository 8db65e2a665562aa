-- The SCIM request log and the SSO sign-in attempts (store/scimlog.go); see
-- the PostgreSQL migration of the same number.
CREATE TABLE scim_requests (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          TEXT NOT NULL,
    at              INTEGER NOT NULL,
    token_id        TEXT NOT NULL DEFAULT '',
    token_name      TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    filter          TEXT NOT NULL DEFAULT '',
    status          INTEGER NOT NULL,
    duration_micros INTEGER NOT NULL DEFAULT 0,
    error_type      TEXT NOT NULL DEFAULT '',
    error_detail    TEXT NOT NULL DEFAULT '',
    rule            INTEGER NOT NULL DEFAULT 0,
    rule_sentence   TEXT NOT NULL DEFAULT '',
    request_body    TEXT NOT NULL DEFAULT '',
    response_body   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX scim_requests_org ON scim_requests (org_id, seq);
CREATE INDEX scim_requests_at ON scim_requests (at);

CREATE TABLE sign_in_attempts (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          TEXT NOT NULL,
    at              INTEGER NOT NULL,
    connection_id   TEXT NOT NULL DEFAULT '',
    connection_name TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL,
    test            INTEGER NOT NULL DEFAULT 0,
    email           TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sign_in_attempts_org ON sign_in_attempts (org_id, seq);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);
