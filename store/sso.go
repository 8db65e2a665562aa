package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SSOFlow is the server-side state of one SSO sign-in in progress: it is
// saved when the browser is sent to the IdP and taken, once, when it comes
// back. The SAML ACS POST is cross-site (SameSite=Lax cookies stay home), so
// the state lives here, keyed by the SAML request id or a hash of the OIDC
// state, and not in a cookie.
type SSOFlow struct {
	Key          string
	ConnectionID string
	// Data is the protocol package's JSON (relay token, nonce, PKCE verifier, return path).
	Data      json.RawMessage
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ErrReplay is returned by UseAssertionID for an assertion id already used.
var ErrReplay = errors.New("assertion already used")

// SaveSSOFlow stores a new flow that expires after ttl.
func (s *Store) SaveSSOFlow(ctx context.Context, key, connectionID string, data json.RawMessage, ttl time.Duration) error {
	if key == "" || len(key) > 256 || connectionID == "" || ttl <= 0 {
		return invalid("sso_flow", "a key of 1 to 256 characters, a connection and a positive lifetime are required")
	}
	return s.write(ctx, func(tx Tx, now time.Time) error {
		return tx.InsertSSOFlow(ctx, SSOFlow{Key: key, ConnectionID: connectionID, Data: data, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	})
}

// ConsumeSSOFlow returns the flow saved under key and deletes it: a second
// call, on this replica or another, gets ErrNotFound, as does an expired flow.
func (s *Store) ConsumeSSOFlow(ctx context.Context, key string) (SSOFlow, error) {
	var f SSOFlow
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		var err error
		f, err = tx.TakeSSOFlow(ctx, key, now)
		return err
	})
	return f, err
}

// UseAssertionID records that a SAML assertion id of a connection was
// accepted. The same id a second time, on any replica, is ErrReplay. The
// record is kept until expiresAt (when the assertion itself stops being
// valid, so a later replay fails its time checks instead).
func (s *Store) UseAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt time.Time) error {
	if assertionID == "" || len(assertionID) > 256 {
		return invalid("assertion_id", "an assertion id of 1 to 256 characters is required")
	}
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		until := expiresAt.UTC().Truncate(time.Microsecond)
		if until.Before(now) {
			until = now
		}
		return tx.InsertUsedAssertion(ctx, connectionID, assertionID, until)
	})
	var ce *ConflictError
	if errors.As(err, &ce) && ce.Field == "assertion_id" {
		return fmt.Errorf("%w (%w)", ErrReplay, err)
	}
	return err
}

// PurgeSSO deletes expired flows and assertion ids; the server calls it
// from time to time. It returns how many rows went.
func (s *Store) PurgeSSO(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		var err error
		n, err = tx.PurgeSSO(ctx, now)
		return err
	})
	return n, err
}
