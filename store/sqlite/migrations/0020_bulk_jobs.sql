-- Bulk jobs (store/bulkjobs.go); see the PostgreSQL migration of the same number.
CREATE TABLE bulk_jobs (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    spec         TEXT NOT NULL,
    status       TEXT NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0,
    changed      INTEGER NOT NULL DEFAULT 0,
    refused      INTEGER NOT NULL DEFAULT 0,
    last_id      TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    lease_holder TEXT NOT NULL DEFAULT '',
    lease_until  INTEGER NOT NULL
) STRICT;
CREATE INDEX bulk_jobs_waiting ON bulk_jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX bulk_jobs_org ON bulk_jobs (org_id, created_at);

CREATE TABLE bulk_job_results (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    rule       INTEGER NOT NULL DEFAULT 0,
    sentence   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX bulk_job_results_job ON bulk_job_results (job_id, seq);
