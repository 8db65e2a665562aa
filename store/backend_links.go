package store

import (
	"context"
	"time"
)

// IdentityLink ties an IdP's subject at one connection to an account: the
// way back from an SSO sign-in to the person (security.md: link by
// (connection, NameID), never silently by email alone). An account has at
// most one link per connection. Deleting the connection deletes its links.
type IdentityLink struct {
	OrgID        string
	ConnectionID string
	Subject      string
	AccountID    string
	CreatedAt    time.Time
}

// LinkTx is the storage of identity links (part of Tx).
//
// Errors as Tx: InsertIdentityLink conflicts with "identity_link" when the
// (connection, subject) is linked, or the account already has a link at that
// connection; a missing connection or account is ErrNotFound.
type LinkTx interface {
	InsertIdentityLink(ctx context.Context, l IdentityLink) error
	// GetIdentityLink finds the link of a subject at a connection (subjects
	// compare exactly).
	GetIdentityLink(ctx context.Context, connectionID, subject string) (IdentityLink, error)
	// ListIdentityLinks lists an account's links in one org, by connection id.
	ListIdentityLinks(ctx context.Context, orgID, accountID string) ([]IdentityLink, error)
}
