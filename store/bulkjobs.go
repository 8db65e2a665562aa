package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Bulk jobs: a bulk change of many members runs as a job stored in the
// database rather than inside the request. A worker in each replica claims
// one job at a time with a lease (as the mail outbox does) and processes its
// members in keyset order (by account id); each member's change and the job's
// progress (counts and the last processed id) commit in one transaction, and
// a refusal and the progress in another, so a job that stops (shutdown, a
// crash, a lost lease) is continued by whichever replica claims it next from
// where it stopped, and no member is processed twice.

// BulkJobStatus is where a job stands.
type BulkJobStatus string

// Job statuses.
const (
	BulkJobQueued  BulkJobStatus = "queued"
	BulkJobRunning BulkJobStatus = "running"
	BulkJobDone    BulkJobStatus = "done"
	BulkJobFailed  BulkJobStatus = "failed"
)

// BulkJobLease is how long a claim or a processed member reserves a job for
// its runner; a runner that stops holding it is replaced after this.
const BulkJobLease = time.Minute

// ErrBulkJobLeaseLost stops a runner whose job was claimed by another.
var ErrBulkJobLeaseLost = fmt.Errorf("%w: the bulk job is no longer leased to this runner", ErrConflict)

// BulkJobSpec is what a job does: the change, and either the ids or the query
// selecting the members.
type BulkJobSpec struct {
	Actor  Actor            `json:"actor"`
	Change MembershipChange `json:"change"`
	IDs    []string         `json:"ids,omitempty"`
	Query  *MemberQuery     `json:"query,omitempty"`
}

// BulkJob is one stored bulk change and its progress.
type BulkJob struct {
	ID    string
	OrgID string
	Spec  BulkJobSpec
	// Status, and Total (the members selected when the job was made; the
	// members processed when it is done), Done, Changed and Refused.
	Status                        BulkJobStatus
	Total, Done, Changed, Refused int
	// LastID is the last processed account id ("" before the first).
	LastID      string
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LeaseHolder string
	LeaseUntil  time.Time
}

// BulkJobResult is one refused member of a job.
type BulkJobResult struct {
	JobID     string
	AccountID string
	Rule      Rule
	Sentence  string
}

// BulkJobTx is the storage of bulk jobs.
type BulkJobTx interface {
	InsertBulkJob(ctx context.Context, j BulkJob) error
	// GetBulkJob returns one job of an org ("" = any org).
	GetBulkJob(ctx context.Context, orgID, id string, lock Lock) (BulkJob, error)
	// ClaimBulkJob leases the oldest job that is queued, or running with its
	// lease expired at now, to holder until now+lease; ErrNotFound when none.
	ClaimBulkJob(ctx context.Context, now time.Time, lease time.Duration, holder string) (BulkJob, error)
	// UpdateBulkJob writes the status, counts, LastID, Total, Error,
	// UpdatedAt and LeaseUntil of j while j.LeaseHolder holds it
	// (ErrNotFound otherwise).
	UpdateBulkJob(ctx context.Context, j BulkJob) error
	InsertBulkJobResult(ctx context.Context, r BulkJobResult) error
	// ListBulkJobResults lists a job's refusals in the order they were recorded.
	ListBulkJobResults(ctx context.Context, jobID string) ([]BulkJobResult, error)
}

// CreateBulkJob stores a bulk change of the members ids (when q is nil) or of
// every member matching q, to be run by a worker.
func (s *Store) CreateBulkJob(ctx context.Context, actor Actor, orgID string, ids []string, q *MemberQuery, change MembershipChange) (BulkJob, error) {
	spec := BulkJobSpec{Actor: actor, Change: change}
	total := 0
	if q != nil {
		c := *q
		c.Offset, c.Limit, c.After, c.Sort, c.Desc = 0, 1, nil, SortByID, false
		if err := checkMemberQuery(&c); err != nil {
			return BulkJob{}, err
		}
		c.Limit = 0
		spec.Query = &c
	} else {
		spec.IDs = slices.Clone(ids)
		slices.Sort(spec.IDs)
		spec.IDs = slices.Compact(spec.IDs)
		total = len(spec.IDs)
	}
	var j BulkJob
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		n := total
		if q != nil {
			c := *spec.Query
			c.Limit = 1
			var err error
			if _, n, _, err = tx.ListMembers(ctx, orgID, c); err != nil {
				return err
			}
		}
		j = BulkJob{ID: newID(), OrgID: orgID, Spec: spec, Status: BulkJobQueued, Total: n,
			CreatedAt: now, UpdatedAt: now, LeaseUntil: now}
		return tx.InsertBulkJob(ctx, j)
	})
	return j, err
}

// GetBulkJob returns an org's job.
func (s *Store) GetBulkJob(ctx context.Context, orgID, id string) (j BulkJob, err error) {
	err = s.read(ctx, func(tx Tx) error { j, err = tx.GetBulkJob(ctx, orgID, id, LockNone); return err })
	return j, err
}

// ListBulkJobResults returns the refusals of an org's job.
func (s *Store) ListBulkJobResults(ctx context.Context, orgID, id string) (rs []BulkJobResult, err error) {
	err = s.read(ctx, func(tx Tx) error {
		if _, err := tx.GetBulkJob(ctx, orgID, id, LockNone); err != nil {
			return err
		}
		rs, err = tx.ListBulkJobResults(ctx, id)
		return err
	})
	return rs, err
}

// ClaimBulkJob leases the next job to run to a new runner; ok is false when
// no job waits.
func (s *Store) ClaimBulkJob(ctx context.Context) (j BulkJob, ok bool, err error) {
	holder := newID()
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		j, err = tx.ClaimBulkJob(ctx, now, BulkJobLease, holder)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return BulkJob{}, false, nil
	}
	return j, err == nil, err
}

// ReleaseBulkJob gives a claimed job back, to be claimed again at once: for
// a runner that stops before the job is done.
func (s *Store) ReleaseBulkJob(ctx context.Context, j BulkJob) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		cur, err := s.leasedJob(ctx, tx, j)
		if err != nil {
			return err
		}
		cur.LeaseUntil, cur.UpdatedAt = now, now
		return tx.UpdateBulkJob(ctx, cur)
	})
}

// leasedJob reads j's row, locked, while j's runner holds it.
func (s *Store) leasedJob(ctx context.Context, tx Tx, j BulkJob) (BulkJob, error) {
	cur, err := tx.GetBulkJob(ctx, j.OrgID, j.ID, LockUpdate)
	if err != nil {
		return BulkJob{}, err
	}
	if cur.LeaseHolder != j.LeaseHolder || cur.Status != BulkJobRunning {
		return BulkJob{}, ErrBulkJobLeaseLost
	}
	return cur, nil
}

// bulkJobPage is how many member ids a runner reads at once.
const bulkJobPage = 500

// RunBulkJob processes a claimed job's members from where it stopped until
// the job is done, ctx ends, or the lease is lost; progress, when set, is
// called after each member with the job as stored. It returns the job as
// last stored. A member's refusal is recorded in the job's report; an error
// that is not about the member (the database, ctx) stops the run, and the
// member is processed again by the next run.
func (s *Store) RunBulkJob(ctx context.Context, j BulkJob, progress func(BulkJob)) (BulkJob, error) {
	for {
		ids, err := s.nextBulkIDs(ctx, j)
		if err != nil {
			return j, err
		}
		if len(ids) == 0 {
			return s.finishBulkJob(ctx, j)
		}
		for _, id := range ids {
			if j, err = s.bulkJobMember(ctx, j, id); err != nil {
				return j, err
			}
			if progress != nil {
				progress(j)
			}
		}
	}
}

// nextBulkIDs returns the next page of the job's members after j.LastID.
func (s *Store) nextBulkIDs(ctx context.Context, j BulkJob) ([]string, error) {
	if j.Spec.Query == nil {
		i, _ := slices.BinarySearch(j.Spec.IDs, j.LastID)
		if i < len(j.Spec.IDs) && j.Spec.IDs[i] == j.LastID {
			i++
		}
		return j.Spec.IDs[i:min(len(j.Spec.IDs), i+bulkJobPage)], nil
	}
	q := *j.Spec.Query
	q.Sort, q.Desc, q.Offset, q.Limit, q.After = SortByID, false, 0, bulkJobPage, nil
	if j.LastID != "" {
		q.After = &MemberCursor{AccountID: j.LastID}
	}
	var page []Member
	err := s.read(ctx, func(tx Tx) (err error) { page, _, _, err = tx.ListMembers(ctx, j.OrgID, q); return err })
	out := make([]string, len(page))
	for i, m := range page {
		out[i] = m.Account.ID
	}
	return out, err
}

// bulkJobMember changes one member and records the progress, or records the
// refusal and the progress.
func (s *Store) bulkJobMember(ctx context.Context, j BulkJob, id string) (BulkJob, error) {
	var out BulkJob
	advance := func(tx Tx, now time.Time, changed bool) error {
		cur, err := s.leasedJob(ctx, tx, j)
		if err != nil {
			return err
		}
		cur.Done++
		if changed {
			cur.Changed++
		} else {
			cur.Refused++
		}
		cur.LastID, cur.UpdatedAt, cur.LeaseUntil = id, now, now.Add(BulkJobLease)
		out = cur
		return tx.UpdateBulkJob(ctx, cur)
	}
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		// The lease first: a runner that lost the job changes nothing.
		if _, err := s.leasedJob(ctx, tx, j); err != nil {
			return err
		}
		if _, err := s.updateMember(ctx, tx, now, j.Spec.Actor, j.OrgID, id, MemberUpdate{MembershipChange: j.Spec.Change}); err != nil {
			return err
		}
		return advance(tx, now, true)
	})
	if err == nil || !isRefusal(ctx, err) {
		if err != nil {
			return j, err
		}
		return out, nil
	}
	cause := err
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		if err := advance(tx, now, false); err != nil {
			return err
		}
		return tx.InsertBulkJobResult(ctx, BulkJobResult{JobID: j.ID, AccountID: id, Rule: RuleOf(cause), Sentence: refusalSentence(cause)})
	})
	if err != nil {
		return j, err
	}
	return out, nil
}

// isRefusal reports whether err refuses one member (a rule, a member gone or
// not found, a forbidden actor) rather than stopping the run.
func isRefusal(ctx context.Context, err error) bool {
	if ctx.Err() != nil || Unavailable(err) || errors.Is(err, ErrBulkJobLeaseLost) || errors.Is(err, ErrRetry) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *RuleError
	return errors.As(err, &re) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) ||
		errors.Is(err, ErrInvalid) || errors.Is(err, ErrConflict)
}

// refusalSentence is the sentence a report shows for a refusal.
func refusalSentence(err error) string {
	var re *RuleError
	var ie *InvalidError
	switch {
	case errors.As(err, &re):
		return re.Detail
	case errors.As(err, &ie):
		return ie.Field + ": " + ie.Detail
	case errors.Is(err, ErrNotFound):
		return "not found"
	}
	return err.Error()
}

// finishBulkJob marks a job done.
func (s *Store) finishBulkJob(ctx context.Context, j BulkJob) (out BulkJob, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		if out, err = s.leasedJob(ctx, tx, j); err != nil {
			return err
		}
		out.Status, out.Total, out.UpdatedAt, out.LeaseUntil = BulkJobDone, out.Done, now, now
		return tx.UpdateBulkJob(ctx, out)
	})
	if err != nil {
		return j, err
	}
	return out, nil
}

// MarshalSpec is the stored form of a job's spec.
func (j BulkJob) MarshalSpec() (string, error) {
	b, err := json.Marshal(j.Spec)
	return string(b), err
}

// WorkBulkJobs claims and runs waiting jobs until none waits or ctx ends,
// and returns how many it finished. A job it was running when ctx ended is
// given back (ReleaseBulkJob), so another replica continues it at once.
// progress, when set, is called after each member.
func (s *Store) WorkBulkJobs(ctx context.Context, progress func(BulkJob)) (int, error) {
	n := 0
	for ctx.Err() == nil {
		j, ok, err := s.ClaimBulkJob(ctx)
		if err != nil || !ok {
			return n, err
		}
		last, err := s.RunBulkJob(ctx, j, progress)
		if err != nil {
			if ctx.Err() != nil {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = s.ReleaseBulkJob(rctx, last) // if this fails, the lease runs out
				cancel()
			}
			return n, err
		}
		n++
	}
	return n, ctx.Err()
}
