package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel error kinds. Every error a Store method returns for a reason the
// caller can act on wraps one of these; anything else is internal.
var (
	// ErrNotFound: no such row in this org (another org's ids answer this too).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value is taken. *ConflictError says which.
	ErrConflict = errors.New("conflict")
	// ErrRule: an account rule refused the change. *RuleError says which and why.
	ErrRule = errors.New("refused by rule")
	// ErrInvalid: bad input. *InvalidError says which field.
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden: the actor may not do this at all (not an admin of the org).
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: wrong credentials, an unknown, used or expired token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrRetry is returned by a backend for a serialization failure or deadlock;
	// Store retries the whole transaction a bounded number of times.
	ErrRetry = errors.New("transaction must be retried")
	// ErrUnavailable: the database cannot be reached.
	ErrUnavailable = errors.New("database unavailable")
	// ErrBusy: too many password checks already wait to be hashed
	// (Options.HashQueue); answer at once (503, retry shortly) rather than queue.
	ErrBusy = errors.New("busy: too many password checks in progress")
)

// Unavailable reports whether err means the database could not do the work
// now but may shortly: it is unreachable or recovering (ErrUnavailable), a
// transaction was still contended after its retries (ErrRetry, SQLite busy
// past its timeout), or the caller's deadline passed while waiting for it
// (context.DeadlineExceeded, also for a pool connection). Protocols answer
// 503 with Retry-After: RetryAfter, so clients retry instead of failing.
func Unavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRetry) || errors.Is(err, context.DeadlineExceeded)
}

// RetryAfter is how long a client is asked to wait after an Unavailable error.
const RetryAfter = 5 * time.Second

// Rule identifies one of the account rules of product.md.
type Rule int

// RuleError is a refusal by account rule Rule. Detail is a sentence an admin can act on.
type RuleError struct {
	Rule   Rule
	Detail string
}

func (e *RuleError) Error() string { return fmt.Sprintf("rule %d: %s", e.Rule, e.Detail) }

// Unwrap makes errors.Is(err, ErrRule) true.
func (e *RuleError) Unwrap() error { return ErrRule }

func refuse(rule Rule, format string, args ...any) error {
	return &RuleError{Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// ConflictError says which unique value is taken: "email", "slug", "domain",
// "group_name", "external_id", "membership".
type ConflictError struct {
	Field string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("conflict: %s already exists", e.Field) }

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// InvalidError says which input field is wrong and why.
type InvalidError struct {
	Field  string
	Detail string
}

func (e *InvalidError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Detail) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Detail: fmt.Sprintf(format, args...)}
}

// RuleOf returns the rule that refused err, or 0.
func RuleOf(err error) Rule {
	var re *RuleError
	if errors.As(err, &re) {
		return re.Rule
	}
	return 0
}
