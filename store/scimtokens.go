package store

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
)

// SCIMTokenPrefix starts every SCIM token, so leaked ones are easy to grep for.
const SCIMTokenPrefix = "idb_scim_"

// CreateSCIMToken creates a token for an org's IdP and returns its secret, which
// is shown once: only its hash is stored. An org may hold several (rotation).
func (s *Store) CreateSCIMToken(ctx context.Context, actor Actor, orgID, name string) (string, SCIMToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", SCIMToken{}, invalid("name", "a token name of 1 to 200 characters is required")
	}
	secret, hash, err := NewSecret(SCIMTokenPrefix)
	if err != nil {
		return "", SCIMToken{}, err
	}
	var t SCIMToken
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorizeSSO(ctx, tx, actor, orgID); err != nil {
			return err
		}
		if _, err := tx.GetOrg(ctx, orgID, LockNone); err != nil {
			return err
		}
		t = SCIMToken{ID: newID(), OrgID: orgID, Name: name, Hash: hash, CreatedAt: now}
		if err := tx.InsertSCIMToken(ctx, t); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "scim_token.create", "scim_token", t.ID, nil, map[string]string{"name": name})
	})
	return secret, t, err
}

// ListSCIMTokens lists an org's tokens (never their secrets).
func (s *Store) ListSCIMTokens(ctx context.Context, orgID string) (ts []SCIMToken, err error) {
	err = s.read(ctx, func(tx Tx) error { ts, err = tx.ListSCIMTokens(ctx, orgID); return err })
	return ts, err
}

// RevokeSCIMToken revokes a token; once it returns, the next request with it
// is refused by every replica. Over a backend whose replicas cache tokens
// (SCIMTokenWatcher) it returns SCIMTokenCacheMaxAge after the commit.
func (s *Store) RevokeSCIMToken(ctx context.Context, actor Actor, orgID, id string) (SCIMToken, error) {
	var t SCIMToken
	var revoked bool // by this call, not before
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorizeSSO(ctx, tx, actor, orgID); err != nil {
			return err
		}
		var err error
		if t, err = tx.GetSCIMToken(ctx, orgID, id); err != nil {
			return err
		}
		if revoked = t.RevokedAt == nil; !revoked {
			return nil
		}
		t.RevokedAt = &now
		if err := tx.UpdateSCIMToken(ctx, t); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "scim_token.revoke", "scim_token", id, nil, map[string]any{"name": t.Name, "revokedAt": now})
	})
	if err == nil && s.tokenCache != nil && revoked {
		// This replica at once; the others (and this one again) by the
		// backend's notification, sent at commit, usually within
		// milliseconds. A notification may be late or lost (a stalled
		// connection): wait until every validation read before the commit
		// has aged out of every replica's cache, so that once this returns
		// the next request with the token is refused everywhere.
		s.tokenCache.Changed(id)
		select {
		case <-ctx.Done():
		case <-time.After(SCIMTokenCacheMaxAge):
		}
	}
	return t, err
}

// ErrBadToken is the one answer to a missing, unknown or revoked SCIM token.
var ErrBadToken = fmt.Errorf("%w: invalid or revoked bearer token", ErrUnauthenticated)

// AuthenticateSCIMToken returns the live token for a bearer secret. Its last
// use is recorded at most once a minute per process, not on every request.
func (s *Store) AuthenticateSCIMToken(ctx context.Context, secret string) (SCIMToken, error) {
	if !strings.HasPrefix(secret, SCIMTokenPrefix) || len(secret) > 128 {
		return SCIMToken{}, ErrBadToken
	}
	hash := HashSecret(secret)
	var gen uint64
	var readAt time.Time
	var cacheable bool
	if c := s.tokenCache; c != nil {
		s.watchOnce.Do(func() { s.b.(SCIMTokenWatcher).WatchSCIMTokens(c) })
		var t SCIMToken
		var hit bool
		if t, hit, gen, readAt, cacheable = c.get(hash); hit {
			s.touchSCIMToken(ctx, t)
			return t, nil
		}
	}
	var t SCIMToken
	// One statement, so no transaction is needed around it (readOne).
	err := s.readOne(ctx, func(tx Tx) error {
		var err error
		t, err = checkSCIMToken(ctx, tx, hash)
		return err
	})
	if err != nil {
		return SCIMToken{}, err
	}
	if cacheable {
		s.tokenCache.put(hash, t, gen, readAt)
	}
	s.touchSCIMToken(ctx, t)
	return t, nil
}

// checkSCIMToken returns the live token of a secret's hash, or ErrBadToken.
func checkSCIMToken(ctx context.Context, tx Tx, hash []byte) (SCIMToken, error) {
	t, err := tx.SCIMTokenByHash(ctx, hash)
	if isNotFound(err) {
		return SCIMToken{}, ErrBadToken
	}
	if err != nil {
		return SCIMToken{}, err
	}
	if subtle.ConstantTimeCompare(t.Hash, hash) != 1 || t.RevokedAt != nil {
		return SCIMToken{}, ErrBadToken
	}
	return t, nil
}

func (s *Store) touchSCIMToken(ctx context.Context, t SCIMToken) {
	now := s.now()
	s.touchMu.Lock()
	last, ok := s.tokenTouch[t.ID]
	if !ok && t.LastUsedAt != nil {
		last, ok = *t.LastUsedAt, true
	}
	due := !ok || now.Sub(last) >= touchEvery
	if due {
		s.tokenTouch[t.ID] = now
	}
	s.touchMu.Unlock()
	if !due {
		return
	}
	_ = s.write(ctx, func(tx Tx, now time.Time) error {
		cur, err := tx.GetSCIMToken(ctx, t.OrgID, t.ID)
		if err != nil {
			return err
		}
		cur.LastUsedAt = &now
		return tx.UpdateSCIMToken(ctx, cur)
	})
}
