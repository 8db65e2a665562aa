package store

import (
	"context"
	"fmt"
	"time"
)

// SessionLimits are a session's idle and absolute timeouts.
type SessionLimits struct {
	Idle     time.Duration
	Absolute time.Duration
}

// DefaultSessionLimits: 30 minutes idle, 12 hours absolute.
var DefaultSessionLimits = SessionLimits{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}

// ErrSessionExpired is the answer to an unknown, ended or expired session.
var ErrSessionExpired = fmt.Errorf("%w: session expired; sign in again", ErrUnauthenticated)

// CreateSession starts a session for an enabled member of one org and returns
// the cookie value (only its hash is stored).
func (s *Store) CreateSession(ctx context.Context, orgID, accountID, connectionID string, lim SessionLimits) (string, Session, error) {
	secret, hash, err := NewSecret("ses_")
	if err != nil {
		return "", Session{}, err
	}
	var sess Session
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		m, err := tx.GetMembership(ctx, orgID, accountID, LockShare)
		if err != nil {
			return err
		}
		if m.Disabled {
			return fmt.Errorf("%w: this account is disabled in the organization", ErrForbidden)
		}
		sess = Session{Hash: hash, AccountID: accountID, OrgID: orgID, ConnectionID: connectionID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(lim.Absolute)}
		return tx.InsertSession(ctx, sess)
	})
	return secret, sess, err
}

// touchEvery is how stale LastSeenAt may get before a request rewrites it.
const touchEvery = time.Minute

// CheckSession returns the live session behind a cookie value and slides its
// idle timeout. Ended, idle or expired sessions answer ErrSessionExpired.
func (s *Store) CheckSession(ctx context.Context, secret string, lim SessionLimits) (Session, error) {
	hash := HashSecret(secret)
	var sess Session
	err := s.read(ctx, func(tx Tx) error {
		var err error
		sess, err = tx.GetSession(ctx, hash)
		return err
	})
	if isNotFound(err) {
		return Session{}, ErrSessionExpired
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= lim.Idle {
		_ = s.EndSession(ctx, secret)
		return Session{}, ErrSessionExpired
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		sess.LastSeenAt = now
		if err := s.write(ctx, func(tx Tx, _ time.Time) error { return tx.UpdateSession(ctx, sess) }); err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

// EndSession signs a session out.
func (s *Store) EndSession(ctx context.Context, secret string) error {
	return s.write(ctx, func(tx Tx, _ time.Time) error {
		err := tx.DeleteSession(ctx, HashSecret(secret))
		if isNotFound(err) {
			return nil
		}
		return err
	})
}
