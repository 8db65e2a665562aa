package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Options configure a Store. Zero values take the defaults.
type Options struct {
	// BaseURL is the public URL the links in notifications point at.
	BaseURL string
	// Now is the clock; it is read once per transaction.
	Now func() time.Time
	// InvitationTTL (default 7 days) and ResetTTL (default 30 minutes) bound link lifetimes.
	InvitationTTL time.Duration
	ResetTTL      time.Duration
	// Password sets the argon2id cost; the default is OWASP's (19 MiB, 2 passes).
	Password PasswordParams
	// HashConcurrency bounds how many password hashes run at once (default
	// NumCPU/2, at least 1), so sign-in floods cannot starve everything else:
	// argon2id is pure CPU, and with every core hashing, SCIM and the database
	// wait (see BenchmarkSCIMUnderSignInFlood in package server).
	HashConcurrency int
	// HashQueue bounds how many hashes may wait for a slot (default 8 per
	// slot); a password check (VerifyPassword) beyond it fails at once with
	// ErrBusy instead of piling up. Setting a password (HashPassword) waits.
	HashQueue int
	// HashDuty (0 < HashDuty <= 1, default 0.5) is the share of its time a
	// slot spends hashing while others wait: after a hash of d, the slot
	// rests d × (1/HashDuty − 1). A flood then uses at most HashConcurrency ×
	// HashDuty cores (NumCPU/4 by default); without waiters there is no rest.
	HashDuty float64
	// MaxRetries bounds retries of a transaction after a serialization failure (default 5).
	MaxRetries int
}

// Store is the one door for every read and change of idbridge's data. It is
// safe for concurrent use by many goroutines and by several replicas sharing a database.
type Store struct {
	b        Backend
	opt      Options
	hashSem  chan struct{}
	hashWait atomic.Int64 // password checks waiting for a hashSem slot
	checks   atomic.Int64 // password checks done (PasswordChecks)

	touchMu    sync.Mutex
	tokenTouch map[string]time.Time // SCIM token id -> last recorded use, this process

	// tokenCache caches validated SCIM tokens when the backend is a
	// SCIMTokenWatcher (nil otherwise); its watch starts on first use.
	tokenCache *scimTokenCache
	watchOnce  sync.Once
}

// New returns a Store over b.
func New(b Backend, opt Options) *Store {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.InvitationTTL == 0 {
		opt.InvitationTTL = 7 * 24 * time.Hour
	}
	if opt.ResetTTL == 0 {
		opt.ResetTTL = 30 * time.Minute
	}
	if opt.Password == (PasswordParams{}) {
		opt.Password = DefaultPasswordParams
	}
	if opt.HashConcurrency <= 0 {
		opt.HashConcurrency = max(1, runtime.NumCPU()/2)
	}
	if opt.HashQueue <= 0 {
		opt.HashQueue = 8 * opt.HashConcurrency
	}
	if opt.HashDuty <= 0 || opt.HashDuty > 1 {
		opt.HashDuty = 0.5
	}
	if opt.MaxRetries <= 0 {
		opt.MaxRetries = 5
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	s := &Store{b: b, opt: opt, hashSem: make(chan struct{}, opt.HashConcurrency), tokenTouch: map[string]time.Time{}}
	if _, ok := b.(SCIMTokenWatcher); ok {
		s.tokenCache = newSCIMTokenCache()
	}
	return s
}

// Backend returns the database the store runs on.
func (s *Store) Backend() Backend { return s.b }

// Ready reports whether the database answers and is migrated.
func (s *Store) Ready(ctx context.Context) error { return s.b.Ready(ctx) }

// now reads the clock, truncated to what every backend stores.
func (s *Store) now() time.Time { return s.opt.Now().UTC().Truncate(time.Microsecond) }

// write runs fn in a read-write transaction, retrying serialization failures.
// fn receives the transaction's time, read once.
func (s *Store) write(ctx context.Context, fn func(tx Tx, now time.Time) error) error {
	return s.retry(ctx, s.b.InTx, fn)
}

// retry runs fn through inTx, again after a serialization failure.
func (s *Store) retry(ctx context.Context, inTx func(context.Context, func(Tx) error) error, fn func(tx Tx, now time.Time) error) error {
	var err error
	for attempt := 0; attempt <= s.opt.MaxRetries; attempt++ {
		now := s.now()
		err = inTx(ctx, func(tx Tx) error { return fn(tx, now) })
		if !errors.Is(err, ErrRetry) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

// read runs fn in a read-only transaction.
func (s *Store) read(ctx context.Context, fn func(tx Tx) error) error {
	return s.b.ReadTx(ctx, fn)
}

// hotRowWriter is a Backend that can release a transaction's row locks
// before its commit reaches the disk, and return only once it has (see
// postgres.DB.InTxHotRow). Changes queued on one hot row (a big group's
// updated_at, bumped by each member add of a sync) then no longer wait for
// each other's disk flush, and flushes are shared.
type hotRowWriter interface {
	InTxHotRow(ctx context.Context, fn func(Tx) error) error
}

// writeHotRow is write for a transaction that updates a hot row last.
func (s *Store) writeHotRow(ctx context.Context, fn func(tx Tx, now time.Time) error) error {
	if hw, ok := s.b.(hotRowWriter); ok {
		return s.retry(ctx, hw.InTxHotRow, fn)
	}
	return s.write(ctx, fn)
}

// statementReader is a Backend that runs a single read statement outside an
// explicit transaction: the statement is its own transaction (one snapshot),
// and the round trips of BEGIN and COMMIT are saved. A second statement of fn
// fails with ErrOneStatement, and nothing may write.
type statementReader interface {
	ReadStatement(ctx context.Context, fn func(tx Tx) error) error
}

// ErrOneStatement is a statementReader's answer to a second statement.
var ErrOneStatement = errors.New("store: a second statement outside a transaction")

// readOne runs fn, a read of one statement or more: alone when the backend
// can (statementReader) and fn makes one statement, otherwise (again) in a
// read-only transaction. fn must be safe to run twice.
func (s *Store) readOne(ctx context.Context, fn func(tx Tx) error) error {
	if r, ok := s.b.(statementReader); ok {
		if err := r.ReadStatement(ctx, fn); !errors.Is(err, ErrOneStatement) {
			return err
		}
	}
	return s.read(ctx, fn)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// audit appends one entry to the audit log inside tx (rule 15), and the
// events apps are told about it (events.go). before and after are marshalled
// to JSON; they must never carry secrets.
func audit(ctx context.Context, tx Tx, now time.Time, actor Actor, orgID, action, targetType, targetID string, before, after any) error {
	e := AuditEntry{OrgID: orgID, Actor: actor, Action: action, TargetType: targetType, TargetID: targetID, At: now}
	var err error
	if e.Before, err = auditJSON(before); err != nil {
		return err
	}
	if e.After, err = auditJSON(after); err != nil {
		return err
	}
	if err := tx.InsertAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return writeEvents(ctx, tx, e, after)
}

func auditJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit json: %w", err)
	}
	return b, nil
}

// authorize checks that actor may administer org: an enabled system admin of
// that org, the org's own SCIM token, or support. Another org's actor sees
// ErrNotFound, as if the org did not exist.
func authorize(ctx context.Context, tx Tx, actor Actor, orgID string) error {
	switch actor.Kind {
	case ActorSupport, ActorSystem:
		return nil
	case ActorSCIM:
		if actor.OrgID == orgID {
			return nil
		}
		return ErrNotFound
	case ActorAdmin:
		if actor.OrgID != orgID {
			return ErrNotFound
		}
		m, err := tx.GetMembership(ctx, orgID, actor.AccountID, LockNone)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: not a member of this organization", ErrForbidden)
		}
		if err != nil {
			return err
		}
		if m.UserType != UserTypeSystemAdmin || m.Disabled {
			return fmt.Errorf("%w: only an enabled system admin can do this", ErrForbidden)
		}
		return nil
	}
	return fmt.Errorf("%w: %s cannot administer an organization", ErrForbidden, actor.Kind)
}

func requireSupport(actor Actor) error {
	if actor.Kind != ActorSupport && actor.Kind != ActorSystem {
		return fmt.Errorf("%w: only platform support can do this", ErrForbidden)
	}
	return nil
}
