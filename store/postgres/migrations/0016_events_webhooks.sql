-- Events for the platform's applications (store/events.go): one per committed
-- change, written in the change's transaction. seq orders inserts; txn is the
-- inserting transaction's id, so the feed can order by (txn, seq) and read only
-- below the oldest running transaction (no event is ever skipped by a cursor).
CREATE TABLE events (
    seq           bigserial PRIMARY KEY,
    txn           bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id            uuid NOT NULL,
    org_id        uuid,
    type          text NOT NULL,
    actor_kind    text NOT NULL,
    actor_id      text NOT NULL DEFAULT '',
    actor_name    text NOT NULL DEFAULT '',
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    changed       text NOT NULL DEFAULT '',
    data          jsonb,
    at            timestamptz NOT NULL
);
CREATE INDEX events_pos ON events (txn, seq);
CREATE INDEX events_org_pos ON events (org_id, txn, seq);
CREATE INDEX events_at ON events (at);

-- Webhook endpoints: each walks the event feed with its own cursor, leased to
-- one deliverer at a time (like the outbox).
CREATE TABLE webhooks (
    id           uuid PRIMARY KEY,
    org_id       uuid REFERENCES orgs (id) ON DELETE CASCADE,
    url          text NOT NULL,
    secret       text NOT NULL,
    types        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    cursor_txn   bigint NOT NULL DEFAULT 0,
    cursor_seq   bigint NOT NULL DEFAULT 0,
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL,
    lease_holder text NOT NULL DEFAULT '',
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX webhooks_due ON webhooks (next_attempt);
