-- Bulk jobs (store/bulkjobs.go): a bulk change of many members, run by a
-- worker that holds a lease (lease_holder until lease_until) and records its
-- progress (last_id: the last account id processed, in id order), so another
-- replica continues a job whose runner stopped. bulk_job_results holds the
-- refused members of a job's report.
CREATE TABLE bulk_jobs (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    spec         text NOT NULL,
    status       text NOT NULL,
    total        integer NOT NULL DEFAULT 0,
    done         integer NOT NULL DEFAULT 0,
    changed      integer NOT NULL DEFAULT 0,
    refused      integer NOT NULL DEFAULT 0,
    last_id      text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    lease_holder text NOT NULL DEFAULT '',
    lease_until  timestamptz NOT NULL
);
CREATE INDEX bulk_jobs_waiting ON bulk_jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX bulk_jobs_org ON bulk_jobs (org_id, created_at);

CREATE TABLE bulk_job_results (
    seq        bigserial PRIMARY KEY,
    job_id     uuid NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    account_id text NOT NULL,
    rule       integer NOT NULL DEFAULT 0,
    sentence   text NOT NULL DEFAULT ''
);
CREATE INDEX bulk_job_results_job ON bulk_job_results (job_id, seq);
