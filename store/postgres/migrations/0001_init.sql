-- idbridge schema, PostgreSQL. Forward-only: change the schema in a new file.
-- pg_trgm (postgresql-contrib) backs the member search; CREATE EXTENSION
-- needs a role allowed to create it (see README).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE companies (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orgs (
    id                uuid PRIMARY KEY,
    company_id        uuid NOT NULL REFERENCES companies (id),
    name              text NOT NULL,
    slug              text NOT NULL CONSTRAINT orgs_slug_key UNIQUE,
    sso_enabled       boolean NOT NULL DEFAULT false,
    sso_connection_id uuid,
    sender_name       text NOT NULL DEFAULT '',
    sender_email      text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX orgs_company ON orgs (company_id);

CREATE TABLE org_domains (
    domain text CONSTRAINT org_domains_pkey PRIMARY KEY CHECK (domain = lower(domain)),
    org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE
);
CREATE INDEX org_domains_org ON org_domains (org_id);

CREATE TABLE accounts (
    id              uuid PRIMARY KEY,
    email           text NOT NULL,
    given_name      text NOT NULL DEFAULT '',
    family_name     text NOT NULL DEFAULT '',
    password_hash   text NOT NULL DEFAULT '',
    activated_at    timestamptz,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_at       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- Email is unique case-insensitively; lookups compare lower(email) = lower($1).
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));
-- Substring search over 1,000,000 members: the predicates use exactly these expressions.
CREATE INDEX accounts_email_trgm ON accounts USING gin (lower(email) gin_trgm_ops);
CREATE INDEX accounts_name_trgm ON accounts USING gin (lower(given_name || ' ' || family_name) gin_trgm_ops);

CREATE TABLE memberships (
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_type    text NOT NULL,
    subscription text NOT NULL,
    reports_role text NOT NULL,
    invited_at   timestamptz,
    disabled     boolean NOT NULL DEFAULT false,
    external_id  text NOT NULL DEFAULT '',
    profile      jsonb,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (org_id, account_id)
);
CREATE UNIQUE INDEX memberships_external_id_key ON memberships (org_id, external_id) WHERE external_id <> '';
CREATE INDEX memberships_account ON memberships (account_id);

CREATE TABLE groups (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    display_name text NOT NULL,
    external_id  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT groups_org_id_key UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX groups_name_key ON groups (org_id, lower(display_name));

CREATE TABLE group_members (
    group_id   uuid NOT NULL,
    org_id     uuid NOT NULL,
    account_id uuid NOT NULL,
    role       text NOT NULL,
    CONSTRAINT group_members_pkey PRIMARY KEY (group_id, account_id),
    CONSTRAINT group_members_group_fkey FOREIGN KEY (org_id, group_id)
        REFERENCES groups (org_id, id) ON DELETE CASCADE,
    -- A member of another org cannot be added; removing a member empties their groups.
    CONSTRAINT group_members_membership_fkey FOREIGN KEY (org_id, account_id)
        REFERENCES memberships (org_id, account_id) ON DELETE CASCADE
);
CREATE INDEX group_members_member ON group_members (org_id, account_id);

CREATE TABLE connections (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    name       text NOT NULL,
    settings   jsonb,
    tested_at  timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT connections_name_key UNIQUE (org_id, name)
);

CREATE TABLE scim_tokens (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         text NOT NULL,
    hash         bytea NOT NULL CONSTRAINT scim_tokens_hash_key UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id, created_at DESC);

CREATE TABLE sessions (
    hash          bytea CONSTRAINT sessions_pkey PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    connection_id uuid,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id, org_id);

CREATE TABLE one_time_tokens (
    hash       bytea CONSTRAINT one_time_tokens_pkey PRIMARY KEY,
    kind       text NOT NULL,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id     uuid REFERENCES orgs (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX one_time_tokens_account ON one_time_tokens (account_id, kind);

CREATE TABLE sign_ins (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    method        text NOT NULL,
    connection_id uuid,
    at            timestamptz NOT NULL
);
CREATE INDEX sign_ins_recent ON sign_ins (account_id, org_id, at DESC, id DESC);

CREATE TABLE audit_log (
    seq              bigserial PRIMARY KEY,
    org_id           uuid,
    actor_kind       text NOT NULL,
    actor_account_id text NOT NULL DEFAULT '',
    actor_org_id     text NOT NULL DEFAULT '',
    actor_token_id   text NOT NULL DEFAULT '',
    actor_name       text NOT NULL DEFAULT '',
    action           text NOT NULL,
    target_type      text NOT NULL DEFAULT '',
    target_id        text NOT NULL DEFAULT '',
    before_json      jsonb,
    after_json       jsonb,
    at               timestamptz NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq DESC);

CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    org_id       uuid,
    kind         text NOT NULL,
    from_name    text NOT NULL DEFAULT '',
    from_email   text NOT NULL DEFAULT '',
    to_addr      text NOT NULL,
    subject      text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL,
    sent_at      timestamptz,
    failed_at    timestamptz,
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_to ON outbox (lower(to_addr));
