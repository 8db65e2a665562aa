package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AuthRequest is an authorization request of an app in progress: saved when
// the app sends the browser to idbridge, bound to the person once signed in,
// then given a code that the app redeems once. Data is the provider
// package's JSON (the request's parameters and the sign-in it is bound to).
type AuthRequest struct {
	ID         string
	AppID      string
	Data       json.RawMessage
	CodeHash   []byte
	CodeUsedAt *time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Grant is one sign-in of a person of one org into one app: the family of
// the access and refresh tokens issued from one authorization code. Deleting
// it revokes every token of the family.
type Grant struct {
	ID            string
	AppID         string
	AccountID     string
	OrgID         string
	AuthRequestID string
	// SessionID is the sid claim: the idbridge session the person signed in with.
	SessionID string
	Scopes    []string
	// AMR is how the person signed in: "pwd", "saml" or "oidc".
	AMR       []string
	AuthTime  time.Time
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the family: no refresh goes past it.
	ExpiresAt time.Time
}

// OAuthTokenKind is an access or a refresh token.
type OAuthTokenKind string

// Token kinds.
const (
	OAuthAccess  OAuthTokenKind = "access"
	OAuthRefresh OAuthTokenKind = "refresh"
)

// OAuthToken is one token of a grant. An access token is found by its id (the
// provider hands it out encrypted), a refresh token by the hash of its secret.
type OAuthToken struct {
	ID        string
	GrantID   string
	Kind      OAuthTokenKind
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// SigningKey is a key the provider signs tokens with. PrivateKey is sealed
// with the server's secret key by the provider package.
type SigningKey struct {
	ID         string
	Alg        string
	PrivateKey string
	CreatedAt  time.Time
	// SignsFrom is when the key starts signing: the newest key past its
	// SignsFrom signs, a later one is the next key, published ahead.
	SignsFrom time.Time
	// RetireAt is when a replaced key goes (nil while it signs or is next).
	RetireAt *time.Time
}

// Signs reports whether k is the key that signs at now among ks (as listed
// by SigningKeys): the newest one whose SignsFrom has come.
func (k SigningKey) Signs(ks []SigningKey, now time.Time) bool {
	var cur *SigningKey
	for i := range ks {
		if ks[i].RetireAt == nil && !ks[i].SignsFrom.After(now) {
			cur = &ks[i]
		}
	}
	return cur != nil && cur.ID == k.ID
}

// KeyPolicy is the schedule of the signing keys.
type KeyPolicy struct {
	// Period is how long a key signs before the next one takes over.
	Period time.Duration
	// Ahead is the least time a next key is published before it signs (a
	// next key is normally made a whole Period ahead).
	Ahead time.Duration
	// Keep is how long a replaced key stays published: at least the
	// lifetime of the tokens it signed.
	Keep time.Duration
}

// keyPlan is what a rotation at now changes in ks (sorted by SignsFrom).
type keyPlan struct {
	del    []string
	retire map[string]time.Time
	add    []time.Time // SignsFrom of the keys to make
}

func (p keyPlan) empty() bool { return len(p.del) == 0 && len(p.retire) == 0 && len(p.add) == 0 }

func planKeys(ks []SigningKey, now time.Time, pol KeyPolicy) keyPlan {
	p := keyPlan{retire: map[string]time.Time{}}
	var cur *SigningKey
	next := false
	for i := range ks {
		k := &ks[i]
		switch {
		case k.RetireAt != nil:
			if !now.Before(*k.RetireAt) {
				p.del = append(p.del, k.ID)
			}
		case k.SignsFrom.After(now):
			next = true
		default:
			if cur != nil { // replaced by k
				p.retire[cur.ID] = k.SignsFrom.Add(pol.Keep)
			}
			cur = k
		}
	}
	if cur == nil {
		p.add = append(p.add, now)
		if !next {
			p.add = append(p.add, now.Add(pol.Period))
		}
	} else if !next {
		from := cur.SignsFrom.Add(pol.Period)
		if from.Before(now.Add(pol.Ahead)) {
			from = now.Add(pol.Ahead)
		}
		p.add = append(p.add, from)
	}
	return p
}

// SigningKeysDue reports whether ks (as listed by SigningKeys) need a
// rotation at now: no key signs, no next key is published, a replaced key
// is not retired yet, or a retired key is past its end.
func SigningKeysDue(ks []SigningKey, now time.Time, pol KeyPolicy) bool {
	return !planKeys(ks, now, pol).empty()
}

// RotateSigningKeys brings the keys to the schedule, in one transaction that
// holds the rotation lock, so two replicas never rotate at once (the second
// finds nothing left to do): the first key signs at once and a next one is
// published a Period ahead; when the next key's time comes, the key it
// replaces is kept Keep longer, then deleted. newKey makes a sealed key
// (ID, Alg, PrivateKey). It reports whether anything changed.
func (s *Store) RotateSigningKeys(ctx context.Context, pol KeyPolicy, newKey func() (SigningKey, error)) (bool, error) {
	var changed bool
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := tx.LockKeyRotation(ctx); err != nil {
			return err
		}
		ks, err := tx.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		p := planKeys(ks, now, pol)
		changed = !p.empty()
		for _, id := range p.del {
			if err := tx.DeleteSigningKey(ctx, id); err != nil {
				return err
			}
		}
		for id, at := range p.retire {
			if err := tx.RetireSigningKey(ctx, id, at); err != nil {
				return err
			}
		}
		for _, from := range p.add {
			k, err := newKey()
			if err != nil {
				return err
			}
			if k.ID == "" || k.Alg == "" || k.PrivateKey == "" {
				return invalid("signing_key", "an id, an algorithm and a sealed private key are required")
			}
			k.CreatedAt, k.SignsFrom, k.RetireAt = now, from, nil
			if err := tx.InsertSigningKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

// OAuthLimits are the lifetimes of the provider's tokens.
type OAuthLimits struct {
	Access time.Duration
	// RefreshIdle ends a refresh token not used for that long; RefreshAbsolute
	// ends the whole family that long after the sign-in.
	RefreshIdle     time.Duration
	RefreshAbsolute time.Duration
	// ReuseGrace is how long after its rotation a refresh token still
	// answers, with the same successor, instead of revoking its family: a
	// client's retry after a lost response. 0 is no grace.
	ReuseGrace time.Duration
}

// DefaultOAuthLimits: access tokens 15 minutes, refresh tokens 14 days idle
// and 30 days absolute, a 5 s grace for a client's retry of a refresh.
var DefaultOAuthLimits = OAuthLimits{Access: 15 * time.Minute, RefreshIdle: 14 * 24 * time.Hour, RefreshAbsolute: 30 * 24 * time.Hour,
	ReuseGrace: 5 * time.Second}

// Errors of the token endpoint.
var (
	// ErrCodeUsed: the authorization code was redeemed before; what it issued is revoked.
	ErrCodeUsed = fmt.Errorf("%w: authorization code already used", ErrUnauthenticated)
	// ErrRefreshReused: a rotated refresh token came back; its family is revoked.
	ErrRefreshReused = fmt.Errorf("%w: refresh token already used", ErrUnauthenticated)
	// ErrTokenInvalid: an unknown, expired or revoked token.
	ErrTokenInvalid = fmt.Errorf("%w: token unknown, expired or revoked", ErrUnauthenticated)
)

// SaveAuthRequest stores a new authorization request of an app that expires after ttl.
func (s *Store) SaveAuthRequest(ctx context.Context, appID string, data json.RawMessage, ttl time.Duration) (AuthRequest, error) {
	var r AuthRequest
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		r = AuthRequest{ID: newID(), AppID: appID, Data: data, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		return tx.InsertAuthRequest(ctx, r)
	})
	return r, err
}

// GetAuthRequest returns an unexpired authorization request; else ErrNotFound.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (AuthRequest, error) {
	var r AuthRequest
	err := s.read(ctx, func(tx Tx) (err error) { r, err = tx.GetAuthRequest(ctx, id); return err })
	if err != nil {
		return AuthRequest{}, err
	}
	if !s.now().Before(r.ExpiresAt) {
		return AuthRequest{}, ErrNotFound
	}
	return r, nil
}

// UpdateAuthRequest replaces an unexpired request's Data and, when code is
// not "", sets its code (only the hash is kept), which then expires after
// codeTTL at the latest.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, data json.RawMessage, code string, codeTTL time.Duration) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		r, err := tx.GetAuthRequest(ctx, id)
		if err != nil {
			return err
		}
		if !now.Before(r.ExpiresAt) || r.CodeUsedAt != nil {
			return ErrNotFound
		}
		r.Data = data
		if code != "" {
			r.CodeHash = HashSecret(code)
			r.ExpiresAt = earliest(r.ExpiresAt, now.Add(codeTTL))
		}
		return tx.UpdateAuthRequest(ctx, r)
	})
}

// UseAuthCode returns the request of an authorization code and marks the
// code used, on every replica: a second use answers ErrCodeUsed and revokes
// the tokens the first one issued. An unknown or expired code is ErrTokenInvalid.
func (s *Store) UseAuthCode(ctx context.Context, code string) (AuthRequest, error) {
	var r AuthRequest
	var reused bool
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		var err error
		r, reused, err = tx.UseAuthCode(ctx, HashSecret(code), now)
		if err != nil {
			return err
		}
		if reused {
			return tx.DeleteGrantsOfRequest(ctx, r.ID)
		}
		if !now.Before(r.ExpiresAt) {
			return ErrNotFound
		}
		return nil
	})
	if err := tokenOutcome(err, reused, ErrCodeUsed); err != nil {
		return AuthRequest{}, err
	}
	return r, nil
}

// tokenOutcome is the answer to a token use: a missing row is
// ErrTokenInvalid, a reuse (after the transaction revoked what it must) is
// reusedErr.
func tokenOutcome(err error, reused bool, reusedErr error) error {
	switch {
	case isNotFound(err):
		return ErrTokenInvalid
	case err != nil:
		return err
	case reused:
		return reusedErr
	}
	return nil
}

// Issued is what IssueTokens and RotateRefreshToken return.
type Issued struct {
	Grant    Grant
	AccessID string
	// AccessExpiresAt is the access token's end.
	AccessExpiresAt time.Time
	// Refresh is the new refresh token's secret ("" when none was asked).
	Refresh string
}

// checkGrantable refuses a grant for a person who is no enabled member of
// the org, or an org the app does not serve.
func checkGrantable(ctx context.Context, tx Tx, appID, orgID, accountID string) error {
	a, err := tx.GetApp(ctx, appID, LockShare)
	if err != nil {
		return err
	}
	if !a.AllowsOrg(orgID) {
		return fmt.Errorf("%w: this application is not open to this organization", ErrForbidden)
	}
	m, err := tx.GetMembership(ctx, orgID, accountID, LockShare)
	if isNotFound(err) {
		return fmt.Errorf("%w: not a member of this organization", ErrForbidden)
	}
	if err != nil {
		return err
	}
	if m.Disabled {
		return fmt.Errorf("%w: this account is disabled in the organization", ErrForbidden)
	}
	return nil
}

// IssueTokens starts a grant from a redeemed authorization request (g.ID
// empty; AppID, AccountID, OrgID, AuthRequestID, SessionID, Scopes, AMR,
// AuthTime set) and issues its access token and, when refresh is true, a
// refresh token. The member must be enabled and the app open to the org.
func (s *Store) IssueTokens(ctx context.Context, g Grant, lim OAuthLimits, refresh bool) (Issued, error) {
	var out Issued
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := checkGrantable(ctx, tx, g.AppID, g.OrgID, g.AccountID); err != nil {
			return err
		}
		g.ID, g.CreatedAt = newID(), now
		g.AuthTime = g.AuthTime.UTC().Truncate(time.Microsecond)
		if refresh {
			g.ExpiresAt = now.Add(lim.RefreshAbsolute)
		} else {
			g.ExpiresAt = now.Add(lim.Access)
		}
		if err := tx.InsertGrant(ctx, g); err != nil {
			return err
		}
		var err error
		out, err = issue(ctx, tx, now, g, lim, refresh)
		return err
	})
	return out, err
}

// successorSecret is the refresh token that replaces the token with row id
// and secret old: derived, so that a retry within the grace gets the same
// one back. It needs both the secret (only its hash is stored) and the row
// id (never handed out), so neither a database reader nor the holder of the
// old token alone can compute it.
func successorSecret(id, old string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte(old))
	return "idbrt_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue inserts an access token and, when refresh, a refresh token of g:
// random, or successor when not "".
func issue(ctx context.Context, tx Tx, now time.Time, g Grant, lim OAuthLimits, refresh bool, successor ...string) (Issued, error) {
	out := Issued{Grant: g, AccessID: newID(), AccessExpiresAt: earliest(now.Add(lim.Access), g.ExpiresAt)}
	if err := tx.InsertOAuthToken(ctx, OAuthToken{ID: out.AccessID, GrantID: g.ID, Kind: OAuthAccess, CreatedAt: now, ExpiresAt: out.AccessExpiresAt}); err != nil {
		return Issued{}, err
	}
	if !refresh {
		return out, nil
	}
	secret, hash, err := NewSecret("idbrt_")
	if err != nil {
		return Issued{}, err
	}
	if len(successor) == 1 {
		secret, hash = successor[0], HashSecret(successor[0])
	}
	rt := OAuthToken{ID: newID(), GrantID: g.ID, Kind: OAuthRefresh, Hash: hash, CreatedAt: now, ExpiresAt: earliest(now.Add(lim.RefreshIdle), g.ExpiresAt)}
	if err := tx.InsertOAuthToken(ctx, rt); err != nil {
		return Issued{}, err
	}
	out.Refresh = secret
	return out, nil
}

// RefreshGrant returns the grant of a live, unused refresh token without
// using it (the token endpoint checks the client and scopes first). A used
// one revokes its family and answers ErrRefreshReused, unless it is a retry
// within lim.ReuseGrace (see RotateRefreshToken).
func (s *Store) RefreshGrant(ctx context.Context, secret string, lim OAuthLimits) (Grant, error) {
	var g Grant
	var t OAuthToken
	var retry bool
	err := s.read(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.OAuthTokenByHash(ctx, HashSecret(secret)); err != nil {
			return err
		}
		if retry, err = graceRetry(ctx, tx, s.now(), t, secret, lim); err != nil {
			return err
		}
		g, err = tx.GetGrant(ctx, t.GrantID)
		return err
	})
	if isNotFound(err) || (err == nil && t.Kind != OAuthRefresh) {
		return Grant{}, ErrTokenInvalid
	}
	if err != nil {
		return Grant{}, err
	}
	if retry {
		return g, nil
	}
	if t.UsedAt != nil {
		return Grant{}, s.revokeFamily(ctx, t.GrantID)
	}
	if now := s.now(); !now.Before(t.ExpiresAt) || !now.Before(g.ExpiresAt) {
		return Grant{}, ErrTokenInvalid
	}
	return g, nil
}

// revokeFamily deletes a grant after the reuse of one of its refresh tokens
// and returns ErrRefreshReused.
func (s *Store) revokeFamily(ctx context.Context, grantID string) error {
	if err := s.write(ctx, func(tx Tx, _ time.Time) error { return tx.DeleteGrant(ctx, grantID) }); err != nil {
		return err
	}
	return ErrRefreshReused
}

// RotateRefreshToken uses a refresh token once: it issues a new access token
// and a new refresh token of the same family (scopes narrowed to scopes when
// given), or, for a token used before (on any replica), revokes the whole
// family and answers ErrRefreshReused. A token used again within
// lim.ReuseGrace while its successor is unused is a client's retry: it gets
// the same successor refresh token and a new access token. The member must
// still be enabled.
func (s *Store) RotateRefreshToken(ctx context.Context, secret string, scopes []string, lim OAuthLimits) (Issued, error) {
	var out Issued
	var reused bool
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		t, err := tx.OAuthTokenByHash(ctx, HashSecret(secret))
		if err != nil {
			return err
		}
		if t.Kind != OAuthRefresh {
			return ErrNotFound
		}
		ok, err := tx.UseOAuthToken(ctx, t.ID, now)
		if err != nil {
			return err
		}
		successor := successorSecret(t.ID, secret)
		if !ok {
			// Used before: a retry within the grace gets the same
			// successor (and a new access token); else the family goes.
			if t, err = tx.OAuthTokenByHash(ctx, HashSecret(secret)); err != nil {
				return err
			}
			retry, err := graceRetry(ctx, tx, now, t, secret, lim)
			if err != nil {
				return err
			}
			if !retry {
				reused = true
				return tx.DeleteGrant(ctx, t.GrantID)
			}
		}
		g, err := tx.GetGrant(ctx, t.GrantID)
		if err != nil {
			return err
		}
		if !now.Before(t.ExpiresAt) || !now.Before(g.ExpiresAt) {
			return ErrNotFound
		}
		if err := checkGrantable(ctx, tx, g.AppID, g.OrgID, g.AccountID); err != nil {
			return err
		}
		if len(scopes) > 0 {
			g.Scopes = scopes
		}
		if !ok {
			out, err = issue(ctx, tx, now, g, lim, false)
			out.Refresh = successor
			return err
		}
		out, err = issue(ctx, tx, now, g, lim, true, successor)
		return err
	})
	if err := tokenOutcome(err, reused, ErrRefreshReused); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// graceRetry reports whether t, a used refresh token of secret, comes back
// within lim.ReuseGrace of its use while its successor is still live and
// unused: a client's retry, answered with the same successor.
func graceRetry(ctx context.Context, tx Tx, now time.Time, t OAuthToken, secret string, lim OAuthLimits) (bool, error) {
	if t.Kind != OAuthRefresh || t.UsedAt == nil || !now.Before(t.UsedAt.Add(lim.ReuseGrace)) {
		return false, nil
	}
	next, err := tx.OAuthTokenByHash(ctx, HashSecret(successorSecret(t.ID, secret)))
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return next.GrantID == t.GrantID && next.UsedAt == nil && now.Before(next.ExpiresAt), nil
}

// AccessGrant returns the grant of a live access token (by id); an unknown,
// expired or revoked one is ErrTokenInvalid.
func (s *Store) AccessGrant(ctx context.Context, tokenID string) (Grant, error) {
	var g Grant
	var t OAuthToken
	err := s.read(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.GetOAuthToken(ctx, tokenID); err != nil {
			return err
		}
		g, err = tx.GetGrant(ctx, t.GrantID)
		return err
	})
	if isNotFound(err) {
		return Grant{}, ErrTokenInvalid
	}
	if err != nil {
		return Grant{}, err
	}
	if t.Kind != OAuthAccess || !s.now().Before(t.ExpiresAt) {
		return Grant{}, ErrTokenInvalid
	}
	return g, nil
}

// RevokeAccessToken revokes one access token of an app (RFC 7009); an
// unknown one, or another app's, is no error and changes nothing.
func (s *Store) RevokeAccessToken(ctx context.Context, appID, tokenID string) error {
	return s.write(ctx, func(tx Tx, _ time.Time) error {
		t, err := tx.GetOAuthToken(ctx, tokenID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		g, err := tx.GetGrant(ctx, t.GrantID)
		if err != nil || g.AppID != appID {
			return ignoreNotFound(err)
		}
		return tx.DeleteOAuthToken(ctx, t.ID)
	})
}

// RevokeRefreshToken revokes the family of an app's refresh token (RFC
// 7009); an unknown one, or another app's, is no error and changes nothing.
func (s *Store) RevokeRefreshToken(ctx context.Context, appID, secret string) error {
	return s.write(ctx, func(tx Tx, _ time.Time) error {
		t, err := tx.OAuthTokenByHash(ctx, HashSecret(secret))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		g, err := tx.GetGrant(ctx, t.GrantID)
		if err != nil || g.AppID != appID {
			return ignoreNotFound(err)
		}
		return tx.DeleteGrant(ctx, g.ID)
	})
}

// IsRefreshToken reports whether secret is a refresh token, live or used.
func (s *Store) IsRefreshToken(ctx context.Context, secret string) (bool, error) {
	err := s.read(ctx, func(tx Tx) error {
		t, err := tx.OAuthTokenByHash(ctx, HashSecret(secret))
		if err == nil && t.Kind != OAuthRefresh {
			return ErrNotFound
		}
		return err
	})
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// EndGrants revokes every token of an account in an org ("" = every org),
// and returns how many grants went.
func (s *Store) EndGrants(ctx context.Context, accountID, orgID string) (int, error) {
	var n int
	err := s.write(ctx, func(tx Tx, _ time.Time) (err error) { n, err = tx.DeleteGrantsOf(ctx, accountID, orgID); return err })
	return n, err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// SigningKeys lists the provider's signing keys by SignsFrom.
func (s *Store) SigningKeys(ctx context.Context) (ks []SigningKey, err error) {
	err = s.read(ctx, func(tx Tx) error { ks, err = tx.ListSigningKeys(ctx); return err })
	return ks, err
}

// PurgeOAuth deletes expired authorization requests, grants and tokens; the
// server calls it from time to time. It returns how many rows went.
func (s *Store) PurgeOAuth(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, func(tx Tx, now time.Time) (err error) { n, err = tx.PurgeOAuth(ctx, now); return err })
	return n, err
}

// endSignIns ends an account's sessions in one org and revokes every token
// its apps hold for the person there (rule 13).
func endSignIns(ctx context.Context, tx Tx, accountID, orgID string) error {
	if _, err := tx.DeleteSessions(ctx, accountID, orgID, nil); err != nil {
		return err
	}
	_, err := tx.DeleteGrantsOf(ctx, accountID, orgID)
	return err
}

// earliest returns the earlier of two times.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
