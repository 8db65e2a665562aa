package sqlstore

import (
	"context"
	"errors"

	"github.com/idbridge/idbridge/store"
)

// Identity links: (connection, subject) → account, one per account and connection.

const linkCols = `l.org_id, l.connection_id, l.subject, l.account_id, l.created_at`

func linkDest(l *store.IdentityLink) []any {
	return []any{textScan{&l.OrgID}, textScan{&l.ConnectionID}, &l.Subject, textScan{&l.AccountID}, timeScan{&l.CreatedAt}}
}

// InsertIdentityLink links a subject at a connection to an account; a linked
// subject, or an account already linked at that connection, is a conflict on
// "identity_link".
func (t *Tx) InsertIdentityLink(ctx context.Context, l store.IdentityLink) error {
	if err := ids(&l.OrgID, &l.ConnectionID, &l.AccountID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert identity link", `INSERT INTO identity_links (org_id, connection_id, subject, account_id, created_at)
		VALUES ($1, $2, $3, $4, $5)`, l.OrgID, l.ConnectionID, l.Subject, l.AccountID, t.time(l.CreatedAt))
	if errors.Is(err, store.ErrConflict) {
		return &store.ConflictError{Field: "identity_link"}
	}
	return err
}

// GetIdentityLink finds the link of a subject (compared exactly) at a connection.
func (t *Tx) GetIdentityLink(ctx context.Context, connectionID, subject string) (store.IdentityLink, error) {
	if err := ids(&connectionID); err != nil {
		return store.IdentityLink{}, err
	}
	var l store.IdentityLink
	err := t.c.QueryRow(ctx, `SELECT `+linkCols+` FROM identity_links l WHERE l.connection_id = $1 AND l.subject = $2`,
		connectionID, subject).Scan(linkDest(&l)...)
	return l, t.err("get identity link", err)
}

// ListIdentityLinks lists an account's links in one org, by connection id.
func (t *Tx) ListIdentityLinks(ctx context.Context, orgID, accountID string) ([]store.IdentityLink, error) {
	if err := ids(&orgID, &accountID); err != nil {
		return nil, err
	}
	var out []store.IdentityLink
	err := t.queryAll(ctx, "list identity links", `SELECT `+linkCols+` FROM identity_links l
		WHERE l.org_id = $1 AND l.account_id = $2 ORDER BY l.connection_id`, args{orgID, accountID}, func(r Rows) error {
		var l store.IdentityLink
		err := r.Scan(linkDest(&l)...)
		out = append(out, l)
		return err
	})
	return out, err
}
