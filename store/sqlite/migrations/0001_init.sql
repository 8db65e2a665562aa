-- idbridge schema, SQLite. Forward-only: change the schema in a new file.
-- Ids are canonical lower-case UUID text; times are INTEGER unix microseconds (UTC);
-- booleans INTEGER 0/1; JSON documents TEXT. Case-insensitive uniques use
-- COLLATE NOCASE columns, so "col = ?" compares (and hits the index) the same way.

CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE orgs (
    id                TEXT PRIMARY KEY,
    company_id        TEXT NOT NULL REFERENCES companies (id),
    name              TEXT NOT NULL,
    slug              TEXT NOT NULL UNIQUE,
    sso_enabled       INTEGER NOT NULL DEFAULT 0,
    sso_connection_id TEXT,
    sender_name       TEXT NOT NULL DEFAULT '',
    sender_email      TEXT NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX orgs_company ON orgs (company_id);

CREATE TABLE org_domains (
    domain TEXT PRIMARY KEY CHECK (domain = lower(domain)),
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX org_domains_org ON org_domains (org_id);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL COLLATE NOCASE UNIQUE,
    given_name      TEXT NOT NULL DEFAULT '',
    family_name     TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL DEFAULT '',
    activated_at    INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_at       INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_type    TEXT NOT NULL,
    subscription TEXT NOT NULL,
    reports_role TEXT NOT NULL,
    invited_at   INTEGER,
    disabled     INTEGER NOT NULL DEFAULT 0,
    external_id  TEXT NOT NULL DEFAULT '',
    profile      TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, account_id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX memberships_external_id_key ON memberships (org_id, external_id) WHERE external_id <> '';
CREATE INDEX memberships_account ON memberships (account_id);

CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL COLLATE NOCASE,
    external_id  TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (org_id, id)
) STRICT;
CREATE UNIQUE INDEX groups_name_key ON groups (org_id, display_name);

CREATE TABLE group_members (
    group_id   TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    account_id TEXT NOT NULL,
    role       TEXT NOT NULL,
    PRIMARY KEY (group_id, account_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    -- A member of another org cannot be added; removing a member empties their groups.
    FOREIGN KEY (org_id, account_id) REFERENCES memberships (org_id, account_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (org_id, account_id);

CREATE TABLE connections (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    settings   TEXT,
    tested_at  INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, name)
) STRICT;

CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX scim_tokens_org ON scim_tokens (org_id, created_at DESC);

CREATE TABLE sessions (
    hash          BLOB PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    connection_id TEXT,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_account ON sessions (account_id, org_id);

CREATE TABLE one_time_tokens (
    hash       BLOB PRIMARY KEY,
    kind       TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id     TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
CREATE INDEX one_time_tokens_account ON one_time_tokens (account_id, kind);

CREATE TABLE sign_ins (
    id            INTEGER PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    method        TEXT NOT NULL,
    connection_id TEXT,
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_ins_recent ON sign_ins (account_id, org_id, at DESC, id DESC);

CREATE TABLE audit_log (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           TEXT,
    actor_kind       TEXT NOT NULL,
    actor_account_id TEXT NOT NULL DEFAULT '',
    actor_org_id     TEXT NOT NULL DEFAULT '',
    actor_token_id   TEXT NOT NULL DEFAULT '',
    actor_name       TEXT NOT NULL DEFAULT '',
    action           TEXT NOT NULL,
    target_type      TEXT NOT NULL DEFAULT '',
    target_id        TEXT NOT NULL DEFAULT '',
    before_json      TEXT,
    after_json       TEXT,
    at               INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_org ON audit_log (org_id, seq DESC);

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    org_id       TEXT,
    kind         TEXT NOT NULL,
    from_name    TEXT NOT NULL DEFAULT '',
    from_email   TEXT NOT NULL DEFAULT '',
    to_addr      TEXT NOT NULL COLLATE NOCASE,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    sent_at      INTEGER,
    failed_at    INTEGER,
    last_error   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_to ON outbox (to_addr);
