-- The SCIM request log and the SSO sign-in attempts (store/scimlog.go):
-- records for an org admin's "why did this fail?", kept for a retention
-- period (IDBRIDGE_SCIM_LOG_RETENTION). No foreign key on org_id: the SCIM
-- log is written in batches after the requests, and a batch must not fail
-- for an org removed meanwhile; the purge removes such rows in time.
CREATE TABLE scim_requests (
    seq             bigserial PRIMARY KEY,
    org_id          uuid NOT NULL,
    at              timestamptz NOT NULL,
    token_id        text NOT NULL DEFAULT '',
    token_name      text NOT NULL DEFAULT '',
    method          text NOT NULL,
    path            text NOT NULL,
    filter          text NOT NULL DEFAULT '',
    status          integer NOT NULL,
    duration_micros bigint NOT NULL DEFAULT 0,
    error_type      text NOT NULL DEFAULT '',
    error_detail    text NOT NULL DEFAULT '',
    rule            integer NOT NULL DEFAULT 0,
    rule_sentence   text NOT NULL DEFAULT '',
    request_body    text NOT NULL DEFAULT '',
    response_body   text NOT NULL DEFAULT ''
);
CREATE INDEX scim_requests_org ON scim_requests (org_id, seq);
CREATE INDEX scim_requests_at ON scim_requests (at);

CREATE TABLE sign_in_attempts (
    seq             bigserial PRIMARY KEY,
    org_id          uuid NOT NULL,
    at              timestamptz NOT NULL,
    connection_id   text NOT NULL DEFAULT '',
    connection_name text NOT NULL DEFAULT '',
    outcome         text NOT NULL,
    test            boolean NOT NULL DEFAULT false,
    email           text NOT NULL DEFAULT '',
    detail          text NOT NULL DEFAULT ''
);
CREATE INDEX sign_in_attempts_org ON sign_in_attempts (org_id, seq);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);
