package sqlstore

import (
	"context"
	"time"

	"github.com/idbridge/idbridge/store"
)

// InsertSSOFlow stores a flow; a taken key is a conflict on "sso_flow".
// ON CONFLICT DO NOTHING keeps a PostgreSQL transaction usable after it.
func (t *Tx) InsertSSOFlow(ctx context.Context, f store.SSOFlow) error {
	if err := ids(&f.ConnectionID); err != nil {
		return err
	}
	n, err := t.exec(ctx, "insert sso flow", `INSERT INTO sso_flows (key, connection_id, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		f.Key, f.ConnectionID, optJSON(f.Data), t.time(f.CreatedAt), t.time(f.ExpiresAt))
	if err == nil && n == 0 {
		return &store.ConflictError{Field: "sso_flow"}
	}
	return err
}

// TakeSSOFlow deletes the flow and returns it unless it had expired. The
// DELETE decides: of two concurrent calls only one gets the row.
func (t *Tx) TakeSSOFlow(ctx context.Context, key string, now time.Time) (store.SSOFlow, error) {
	f := store.SSOFlow{Key: key}
	var data *string
	err := t.c.QueryRow(ctx, `DELETE FROM sso_flows WHERE key = $1 RETURNING connection_id, data, created_at, expires_at`, key).
		Scan(textScan{&f.ConnectionID}, &data, timeScan{&f.CreatedAt}, timeScan{&f.ExpiresAt})
	if err != nil {
		return store.SSOFlow{}, t.err("take sso flow", err)
	}
	if !f.ExpiresAt.After(now) {
		return store.SSOFlow{}, store.ErrNotFound
	}
	if data != nil {
		f.Data = []byte(*data)
	}
	return f, nil
}

// InsertUsedAssertion records an assertion id; a second time is a conflict on "assertion_id".
func (t *Tx) InsertUsedAssertion(ctx context.Context, connectionID, assertionID string, expiresAt time.Time) error {
	if err := ids(&connectionID); err != nil {
		return err
	}
	n, err := t.exec(ctx, "insert used assertion", `INSERT INTO sso_used_assertions (connection_id, assertion_id, expires_at)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, connectionID, assertionID, t.time(expiresAt))
	if err == nil && n == 0 {
		return &store.ConflictError{Field: "assertion_id"}
	}
	return err
}

// PurgeSSO deletes expired flows and used assertion ids.
func (t *Tx) PurgeSSO(ctx context.Context, now time.Time) (int, error) {
	a, err := t.exec(ctx, "purge sso flows", `DELETE FROM sso_flows WHERE expires_at < $1`, t.time(now))
	if err != nil {
		return 0, err
	}
	b, err := t.exec(ctx, "purge used assertions", `DELETE FROM sso_used_assertions WHERE expires_at < $1`, t.time(now))
	return int(a + b), err
}
