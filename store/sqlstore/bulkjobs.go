package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idbridge/idbridge/store"
)

const bulkJobCols = `id, org_id, spec, status, total, done, changed, refused, last_id, error, created_at, updated_at,
	lease_holder, lease_until`

// bulkJobScan scans a job row; the spec is JSON.
func bulkJobScan(r interface{ Scan(...any) error }, j *store.BulkJob) error {
	var spec string
	err := r.Scan(textScan{&j.ID}, textScan{&j.OrgID}, &spec, &j.Status, &j.Total, &j.Done, &j.Changed, &j.Refused,
		&j.LastID, &j.Error, timeScan{&j.CreatedAt}, timeScan{&j.UpdatedAt}, &j.LeaseHolder, timeScan{&j.LeaseUntil})
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(spec), &j.Spec); err != nil {
		return fmt.Errorf("bulk job %s spec: %w", j.ID, err)
	}
	return nil
}

// InsertBulkJob stores a new job.
func (t *Tx) InsertBulkJob(ctx context.Context, j store.BulkJob) error {
	if err := ids(&j.ID, &j.OrgID); err != nil {
		return err
	}
	spec, err := j.MarshalSpec()
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert bulk job", `INSERT INTO bulk_jobs (`+bulkJobCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		j.ID, j.OrgID, spec, string(j.Status), j.Total, j.Done, j.Changed, j.Refused, j.LastID, j.Error,
		t.time(j.CreatedAt), t.time(j.UpdatedAt), j.LeaseHolder, t.time(j.LeaseUntil))
	return err
}

// GetBulkJob returns one job of an org ("" = any org).
func (t *Tx) GetBulkJob(ctx context.Context, orgID, jobID string, lock store.Lock) (store.BulkJob, error) {
	if err := ids(&jobID); err != nil {
		return store.BulkJob{}, err
	}
	a := args{jobID}
	q := `SELECT ` + bulkJobCols + ` FROM bulk_jobs WHERE id = $1`
	if orgID != "" {
		if err := ids(&orgID); err != nil {
			return store.BulkJob{}, err
		}
		q += ` AND org_id = ` + a.add(orgID)
	}
	var j store.BulkJob
	err := bulkJobScan(t.c.QueryRow(ctx, q+t.lock(lock, ""), a...), &j)
	return j, t.err("get bulk job", err)
}

// ClaimBulkJob leases the oldest waiting job to holder. On PostgreSQL the
// inner SELECT skips a job another claimer holds (FOR UPDATE SKIP LOCKED);
// SQLite runs one writer at a time.
func (t *Tx) ClaimBulkJob(ctx context.Context, now time.Time, lease time.Duration, holder string) (store.BulkJob, error) {
	var j store.BulkJob
	found := false
	err := t.queryAll(ctx, "claim bulk job", `UPDATE bulk_jobs SET status = 'running', lease_holder = $1, lease_until = $2,
		updated_at = $3 WHERE id IN (
		SELECT id FROM bulk_jobs WHERE status IN ('queued', 'running') AND lease_until <= $3
		ORDER BY created_at, id LIMIT 1`+t.d.UpdateLock+t.d.SkipLocked+`) RETURNING `+bulkJobCols,
		args{holder, t.time(now.Add(lease)), t.time(now)}, func(r Rows) error {
			found = true
			return bulkJobScan(r, &j)
		})
	if err == nil && !found {
		err = store.ErrNotFound
	}
	return j, err
}

// UpdateBulkJob writes a job's progress while its runner holds it.
func (t *Tx) UpdateBulkJob(ctx context.Context, j store.BulkJob) error {
	if err := ids(&j.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update bulk job", `UPDATE bulk_jobs SET status = $2, total = $3, done = $4, changed = $5,
		refused = $6, last_id = $7, error = $8, updated_at = $9, lease_until = $10 WHERE id = $1 AND lease_holder = $11`,
		j.ID, string(j.Status), j.Total, j.Done, j.Changed, j.Refused, j.LastID, j.Error, t.time(j.UpdatedAt),
		t.time(j.LeaseUntil), j.LeaseHolder)
}

// InsertBulkJobResult records one refused member of a job.
func (t *Tx) InsertBulkJobResult(ctx context.Context, r store.BulkJobResult) error {
	if err := ids(&r.JobID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert bulk job result", `INSERT INTO bulk_job_results (job_id, account_id, rule, sentence)
		VALUES ($1, $2, $3, $4)`, r.JobID, r.AccountID, int(r.Rule), r.Sentence)
	return err
}

// ListBulkJobResults lists a job's refusals in the order they were recorded.
func (t *Tx) ListBulkJobResults(ctx context.Context, jobID string) ([]store.BulkJobResult, error) {
	if err := ids(&jobID); err != nil {
		return nil, err
	}
	var out []store.BulkJobResult
	err := t.queryAll(ctx, "list bulk job results", `SELECT job_id, account_id, rule, sentence FROM bulk_job_results
		WHERE job_id = $1 ORDER BY seq`, args{jobID}, func(r Rows) error {
		var x store.BulkJobResult
		var rule int
		err := r.Scan(textScan{&x.JobID}, &x.AccountID, &rule, &x.Sentence)
		x.Rule = store.Rule(rule)
		out = append(out, x)
		return err
	})
	return out, err
}
