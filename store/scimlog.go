package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The SCIM request log and the sign-in diagnostics answer an org admin's
// "why did this fail?". They are records of what happened, not changes of
// the org: no rule, audit entry or event goes with them, and they are kept
// for a retention period only (PurgeSCIMRequests, PurgeSignInAttempts).

// SCIMRequest is one SCIM request of an org, as the SCIM handler saw it.
// Bodies are stored redacted (no passwords or secrets) and cut (the scim
// package does both before the record reaches the store).
type SCIMRequest struct {
	// Seq orders the log; it is the record's id.
	Seq       int64     `json:"id,string"`
	OrgID     string    `json:"org"`
	At        time.Time `json:"time"`
	TokenID   string    `json:"tokenId,omitempty"`
	TokenName string    `json:"tokenName"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Filter    string    `json:"filter,omitempty"`
	Status    int       `json:"status"`
	// DurationMicros is how long the handler took.
	DurationMicros int64 `json:"durationMicros"`
	// ErrorType is the SCIM error's scimType (or "" for none), ErrorDetail
	// its detail.
	ErrorType   string `json:"scimType,omitempty"`
	ErrorDetail string `json:"detail,omitempty"`
	// Rule is the account rule (product.md) that refused the request, 0 for
	// none; RuleSentence is its sentence as the client got it.
	Rule         int    `json:"rule,omitempty"`
	RuleSentence string `json:"ruleSentence,omitempty"`
	RequestBody  string `json:"requestBody,omitempty"`
	ResponseBody string `json:"responseBody,omitempty"`
}

// LogQuery selects a page of an org's SCIM request log or sign-in
// attempts, newest first. Zero fields select everything.
type LogQuery struct {
	// StatusClass keeps SCIM requests answered 2xx (2), 4xx (4) or 5xx (5).
	StatusClass int
	// Method keeps one HTTP method (upper-case).
	Method string
	// User keeps SCIM requests whose path or filter contains it
	// (case-insensitive): a user id or a userName.
	User string
	// Outcome keeps sign-in attempts with this outcome; Failed keeps only
	// those that did not succeed.
	Outcome string
	Failed  bool
	// Email keeps sign-in attempts whose email contains it (case-insensitive).
	Email string
	// Since and Until bound the time: Since <= At < Until.
	Since, Until time.Time
	// Before continues a page: only records with Seq < Before.
	Before int64
	Limit  int
}

// DiagTx stores the SCIM request log and the sign-in attempts. Part of Tx.
type DiagTx interface {
	// InsertSCIMRequests appends records; the database assigns Seq.
	InsertSCIMRequests(ctx context.Context, rs []SCIMRequest) error
	// ListSCIMRequests returns the org's records matching q, newest first.
	ListSCIMRequests(ctx context.Context, orgID string, q LogQuery) ([]SCIMRequest, error)
	// GetSCIMRequest returns one record of the org.
	GetSCIMRequest(ctx context.Context, orgID string, seq int64) (SCIMRequest, error)
	// DeleteSCIMRequestsBefore deletes records older than before.
	DeleteSCIMRequestsBefore(ctx context.Context, before time.Time) (int, error)

	// InsertSignInAttempt appends an attempt; the database assigns Seq.
	InsertSignInAttempt(ctx context.Context, a SignInAttempt) error
	// ListSignInAttempts returns the org's attempts matching q, newest first.
	ListSignInAttempts(ctx context.Context, orgID string, q LogQuery) ([]SignInAttempt, error)
	// DeleteSignInAttemptsBefore deletes attempts older than before.
	DeleteSignInAttemptsBefore(ctx context.Context, before time.Time) (int, error)
}

// SCIMLogRetention is how long the SCIM request log and the sign-in
// attempts are kept by default.
const SCIMLogRetention = 30 * 24 * time.Hour

// MaxLogBody bounds each stored body of a SCIM request (64 KiB).
const MaxLogBody = 64 << 10

// RecordSCIMRequests appends a batch of SCIM request records in one
// transaction.
func (s *Store) RecordSCIMRequests(ctx context.Context, rs []SCIMRequest) error {
	if len(rs) == 0 {
		return nil
	}
	return s.write(ctx, func(tx Tx, _ time.Time) error { return tx.InsertSCIMRequests(ctx, rs) })
}

// ListSCIMRequests returns a page of the org's SCIM request log, newest
// first, and the cursor of the next page ("" at the end).
func (s *Store) ListSCIMRequests(ctx context.Context, orgID string, q LogQuery) (rs []SCIMRequest, next string, err error) {
	if err := q.check(); err != nil {
		return nil, "", err
	}
	err = s.readOne(ctx, func(tx Tx) error { rs, err = tx.ListSCIMRequests(ctx, orgID, q); return err })
	if err != nil {
		return nil, "", err
	}
	if len(rs) == q.Limit {
		next = cursorOf(rs[len(rs)-1].Seq)
	}
	return rs, next, nil
}

// GetSCIMRequest returns one record of the org's SCIM request log by id.
func (s *Store) GetSCIMRequest(ctx context.Context, orgID, id string) (r SCIMRequest, err error) {
	seq, perr := strconv.ParseInt(id, 10, 64)
	if perr != nil || seq <= 0 {
		return r, ErrNotFound
	}
	err = s.readOne(ctx, func(tx Tx) error { r, err = tx.GetSCIMRequest(ctx, orgID, seq); return err })
	return r, err
}

// PurgeSCIMRequests deletes SCIM request records older than keep.
func (s *Store) PurgeSCIMRequests(ctx context.Context, keep time.Duration) (n int, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		n, err = tx.DeleteSCIMRequestsBefore(ctx, now.Add(-keep))
		return err
	})
	return n, err
}

// ID is the record's id, as the API and console address it.
func (r SCIMRequest) ID() string { return cursorOf(r.Seq) }

func cursorOf(seq int64) string { return strconv.FormatInt(seq, 10) }

// ParseLogCursor reads the cursor ListSCIMRequests or ListSignInAttempts
// handed out ("" is the first page).
func ParseLogCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid("cursor", "not a cursor of this log")
	}
	return n, nil
}

// check validates q and fills the default limit.
func (q *LogQuery) check() error {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = 50
	}
	switch q.StatusClass {
	case 0, 2, 4, 5:
	default:
		return invalid("status", "use 2xx, 4xx or 5xx")
	}
	q.Method = strings.ToUpper(strings.TrimSpace(q.Method))
	switch q.Method {
	case "", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
	default:
		return invalid("method", "use GET, POST, PUT, PATCH, DELETE or HEAD")
	}
	if q.Outcome != "" && !validOutcome(q.Outcome) {
		return invalid("outcome", "unknown outcome %q", q.Outcome)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return invalid("until", "the period ends before it starts")
	}
	return nil
}
