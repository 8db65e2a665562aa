package store

import (
	"context"
	"time"
)

// SSOTx is the storage of sign-ins in progress and of used SAML assertion
// ids, shared by every replica through the database. Part of Tx.
type SSOTx interface {
	// InsertSSOFlow stores a flow; a taken key is a *ConflictError on "sso_flow".
	InsertSSOFlow(ctx context.Context, f SSOFlow) error
	// TakeSSOFlow deletes the flow with key and returns it when it had not
	// expired at now; otherwise ErrNotFound. Two concurrent calls never both
	// get the flow.
	TakeSSOFlow(ctx context.Context, key string, now time.Time) (SSOFlow, error)
	// InsertUsedAssertion records an assertion id of a connection; a second
	// insert of the same (connection, id) is a *ConflictError on "assertion_id".
	InsertUsedAssertion(ctx context.Context, connectionID, assertionID string, expiresAt time.Time) error
	// PurgeSSO deletes flows and used assertion ids that expired before now,
	// and returns how many rows went.
	PurgeSSO(ctx context.Context, now time.Time) (int, error)
}
