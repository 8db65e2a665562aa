package store

import (
	"context"
	"time"
)

// OAuthTx is the storage of idbridge as an OpenID Provider: the registered
// applications, authorization requests and codes, grants and their tokens,
// and the signing keys, shared by every replica. Part of Tx.
type OAuthTx interface {
	InsertApp(ctx context.Context, a App) error
	GetApp(ctx context.Context, id string, lock Lock) (App, error)
	// UpdateApp writes every field of a.
	UpdateApp(ctx context.Context, a App) error
	// DeleteApp deletes the app with its requests, grants and tokens.
	DeleteApp(ctx context.Context, id string) error
	// ListApps lists every app ordered by name then id.
	ListApps(ctx context.Context) ([]App, error)

	InsertAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest returns a request, expired or not.
	GetAuthRequest(ctx context.Context, id string) (AuthRequest, error)
	// UpdateAuthRequest writes Data and CodeHash.
	UpdateAuthRequest(ctx context.Context, r AuthRequest) error
	// UseAuthCode marks the request's code used at now and returns the
	// request; a request whose code was used already is returned with its
	// CodeUsedAt unchanged and used true. Two concurrent calls never both get
	// used false. An unknown code is ErrNotFound.
	UseAuthCode(ctx context.Context, hash []byte, now time.Time) (r AuthRequest, used bool, err error)

	InsertGrant(ctx context.Context, g Grant) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	// DeleteGrant deletes a grant and its tokens; a missing one is no error.
	DeleteGrant(ctx context.Context, id string) error
	// DeleteGrantsOf deletes the grants (and tokens) of an account in one
	// org ("" = every org), and returns how many went.
	DeleteGrantsOf(ctx context.Context, accountID, orgID string) (int, error)
	// DeleteGrantsOfOrg deletes the grants (and tokens) of every member of
	// an org, and returns how many went.
	DeleteGrantsOfOrg(ctx context.Context, orgID string) (int, error)
	// DeleteGrantsOfRequest deletes the grants issued from an authorization request.
	DeleteGrantsOfRequest(ctx context.Context, authRequestID string) error

	InsertOAuthToken(ctx context.Context, t OAuthToken) error
	GetOAuthToken(ctx context.Context, id string) (OAuthToken, error)
	// OAuthTokenByHash finds a refresh token by the SHA-256 of its secret.
	OAuthTokenByHash(ctx context.Context, hash []byte) (OAuthToken, error)
	// UseOAuthToken sets UsedAt of an unused token and reports whether it did
	// (false: used already). Two concurrent calls never both get true.
	UseOAuthToken(ctx context.Context, id string, now time.Time) (bool, error)
	DeleteOAuthToken(ctx context.Context, id string) error

	InsertSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys lists the keys by SignsFrom, then id.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// LockKeyRotation takes the rotation lock until the transaction ends.
	LockKeyRotation(ctx context.Context) error
	// RetireSigningKey sets a key's RetireAt.
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
	// DeleteSigningKey deletes a key.
	DeleteSigningKey(ctx context.Context, id string) error

	// PurgeOAuth deletes requests, grants and tokens that expired before now
	// and returns how many rows went.
	PurgeOAuth(ctx context.Context, now time.Time) (int, error)
}
