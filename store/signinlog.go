package store

import (
	"context"
	"slices"
	"time"
)

// SignInAttempt is one SSO sign-in attempt of an org (or an admin's test
// sign-in), with its outcome.
type SignInAttempt struct {
	Seq            int64     `json:"id,string"`
	OrgID          string    `json:"org"`
	At             time.Time `json:"time"`
	ConnectionID   string    `json:"connectionId,omitempty"`
	ConnectionName string    `json:"connectionName,omitempty"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
	// Test is true for an admin's test sign-in.
	Test bool `json:"test,omitempty"`
	// Email is the person's email when the IdP's answer told it.
	Email string `json:"email,omitempty"`
	// Detail is the refusal's sentence, without secrets.
	Detail string `json:"detail,omitempty"`
}

// The outcomes of an SSO sign-in attempt.
const (
	OutcomeSuccess         = "success"
	OutcomeBadSignature    = "bad_signature"
	OutcomeUnknownCert     = "unknown_certificate"
	OutcomeWrongAudience   = "wrong_audience"
	OutcomeExpired         = "expired"
	OutcomeReplayed        = "replayed"
	OutcomeUnsolicited     = "unsolicited"
	OutcomeUnknownRequest  = "unknown_request"
	OutcomeOtherBrowser    = "other_browser"
	OutcomeStateMismatch   = "state_mismatch"
	OutcomeIdPError        = "idp_error"
	OutcomeEmailMissing    = "email_missing"
	OutcomeEmailUnverified = "email_unverified"
	OutcomeEmailOutside    = "email_outside_domains"
	OutcomeNoMember        = "no_member"
	OutcomeMemberDisabled  = "member_disabled"
	OutcomeSSOOff          = "sso_off"
	OutcomeInvalidResponse = "invalid_response"
	OutcomeInternal        = "internal"
)

// Outcomes lists every outcome, in the order pages show them.
var Outcomes = []string{OutcomeSuccess, OutcomeBadSignature, OutcomeUnknownCert, OutcomeWrongAudience,
	OutcomeExpired, OutcomeReplayed, OutcomeUnsolicited,
	OutcomeUnknownRequest, OutcomeOtherBrowser, OutcomeStateMismatch,
	OutcomeIdPError, OutcomeEmailMissing, OutcomeEmailUnverified, OutcomeEmailOutside, OutcomeNoMember,
	OutcomeMemberDisabled, OutcomeSSOOff, OutcomeInvalidResponse, OutcomeInternal}

func validOutcome(o string) bool { return slices.Contains(Outcomes, o) }

// RecordSignInAttempt appends an SSO sign-in attempt; an unknown outcome is
// ErrInvalid.
func (s *Store) RecordSignInAttempt(ctx context.Context, a SignInAttempt) error {
	if !validOutcome(a.Outcome) {
		return invalid("outcome", "unknown outcome %q", a.Outcome)
	}
	return s.write(ctx, func(tx Tx, now time.Time) error {
		a.At = now
		return tx.InsertSignInAttempt(ctx, a)
	})
}

// ListSignInAttempts returns a page of the org's sign-in attempts, newest
// first, and the cursor of the next page ("" at the end).
func (s *Store) ListSignInAttempts(ctx context.Context, orgID string, q LogQuery) (as []SignInAttempt, next string, err error) {
	if err := q.check(); err != nil {
		return nil, "", err
	}
	err = s.readOne(ctx, func(tx Tx) error { as, err = tx.ListSignInAttempts(ctx, orgID, q); return err })
	if err != nil {
		return nil, "", err
	}
	if len(as) == q.Limit {
		next = cursorOf(as[len(as)-1].Seq)
	}
	return as, next, nil
}

// PurgeSignInAttempts deletes sign-in attempts older than keep.
func (s *Store) PurgeSignInAttempts(ctx context.Context, keep time.Duration) (n int, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		n, err = tx.DeleteSignInAttemptsBefore(ctx, now.Add(-keep))
		return err
	})
	return n, err
}
