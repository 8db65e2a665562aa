-- Events for the platform's applications (store/events.go): one per committed
-- change, written in the change's transaction. SQLite serializes writers, so
-- seq is commit order and txn stays 0.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    txn           INTEGER NOT NULL DEFAULT 0,
    id            TEXT NOT NULL,
    org_id        TEXT,
    type          TEXT NOT NULL,
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL DEFAULT '',
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    changed       TEXT NOT NULL DEFAULT '',
    data          TEXT,
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX events_pos ON events (txn, seq);
CREATE INDEX events_org_pos ON events (org_id, txn, seq);
CREATE INDEX events_at ON events (at);

CREATE TABLE webhooks (
    id           TEXT PRIMARY KEY,
    org_id       TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    types        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    cursor_txn   INTEGER NOT NULL DEFAULT 0,
    cursor_seq   INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    lease_holder TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX webhooks_due ON webhooks (next_attempt);
