package sqlstore

import (
	"context"
	"time"

	"github.com/idbridge/idbridge/store"
)

const scimTokenCols = `id, org_id, name, hash, created_at, last_used_at, revoked_at`

func scimTokenDest(s *store.SCIMToken) []any {
	return []any{textScan{&s.ID}, textScan{&s.OrgID}, &s.Name, &s.Hash, timeScan{&s.CreatedAt},
		nullTimeScan{&s.LastUsedAt}, nullTimeScan{&s.RevokedAt}}
}

// InsertSCIMToken inserts a SCIM token; a taken hash is a conflict on "token".
func (t *Tx) InsertSCIMToken(ctx context.Context, s store.SCIMToken) error {
	if err := ids(&s.ID, &s.OrgID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert scim token", `INSERT INTO scim_tokens (id, org_id, name, hash, created_at, last_used_at,
		revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, s.OrgID, s.Name, s.Hash, t.time(s.CreatedAt), t.optTime(s.LastUsedAt), t.optTime(s.RevokedAt))
	return err
}

// SCIMTokenByHash finds a token, revoked ones too, by the hash of its secret.
func (t *Tx) SCIMTokenByHash(ctx context.Context, hash []byte) (store.SCIMToken, error) {
	var s store.SCIMToken
	err := t.c.QueryRow(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE hash = $1`, hash).Scan(scimTokenDest(&s)...)
	return s, t.err("scim token by hash", err)
}

// GetSCIMToken returns one token of an org.
func (t *Tx) GetSCIMToken(ctx context.Context, orgID, tokenID string) (store.SCIMToken, error) {
	if err := ids(&orgID, &tokenID); err != nil {
		return store.SCIMToken{}, err
	}
	var s store.SCIMToken
	err := t.c.QueryRow(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE org_id = $1 AND id = $2`, orgID, tokenID).
		Scan(scimTokenDest(&s)...)
	return s, t.err("get scim token", err)
}

// UpdateSCIMToken writes the name, LastUsedAt and RevokedAt of s.
func (t *Tx) UpdateSCIMToken(ctx context.Context, s store.SCIMToken) error {
	if err := ids(&s.OrgID, &s.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update scim token", `UPDATE scim_tokens SET name = $3, last_used_at = $4, revoked_at = $5
		WHERE org_id = $1 AND id = $2`, s.OrgID, s.ID, s.Name, t.optTime(s.LastUsedAt), t.optTime(s.RevokedAt))
}

// ListSCIMTokens lists an org's tokens, newest first.
func (t *Tx) ListSCIMTokens(ctx context.Context, orgID string) ([]store.SCIMToken, error) {
	if err := ids(&orgID); err != nil {
		return nil, err
	}
	var out []store.SCIMToken
	err := t.queryAll(ctx, "list scim tokens", `SELECT `+scimTokenCols+` FROM scim_tokens WHERE org_id = $1
		ORDER BY created_at DESC, id DESC`, args{orgID}, func(r Rows) error {
		var s store.SCIMToken
		err := r.Scan(scimTokenDest(&s)...)
		out = append(out, s)
		return err
	})
	return out, err
}

const tokenCols = `hash, kind, account_id, org_id, created_at, expires_at, used_at`

func tokenDest(o *store.OneTimeToken) []any {
	return []any{&o.Hash, &o.Kind, textScan{&o.AccountID}, textScan{&o.OrgID}, timeScan{&o.CreatedAt},
		timeScan{&o.ExpiresAt}, nullTimeScan{&o.UsedAt}}
}

// InsertToken inserts a one-time link token; a taken hash is a conflict on "token".
// It may be queued (Pipeliner).
func (t *Tx) InsertToken(ctx context.Context, o store.OneTimeToken) error {
	if err := ids(&o.AccountID); err != nil {
		return err
	}
	orgID, err := optID(o.OrgID)
	if err != nil {
		return err
	}
	return t.execLater(ctx, "insert token", `INSERT INTO one_time_tokens (hash, kind, account_id, org_id, created_at,
		expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		o.Hash, string(o.Kind), o.AccountID, orgID, t.time(o.CreatedAt), t.time(o.ExpiresAt), t.optTime(o.UsedAt))
}

// ConsumeToken marks an unused, unexpired token used in one statement, so two
// concurrent calls never both succeed: the second finds used_at set (on
// PostgreSQL it waits for the first's row lock, then re-checks the WHERE).
func (t *Tx) ConsumeToken(ctx context.Context, hash []byte, kind store.TokenKind, now time.Time) (store.OneTimeToken, error) {
	var o store.OneTimeToken
	err := t.c.QueryRow(ctx, `UPDATE one_time_tokens SET used_at = $3
		WHERE hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3 RETURNING `+tokenCols,
		hash, string(kind), t.time(now)).Scan(tokenDest(&o)...)
	return o, t.err("consume token", err)
}

// DeleteTokens deletes an account's unused tokens of a kind ("" = every
// kind), in one org or ("") every org.
func (t *Tx) DeleteTokens(ctx context.Context, accountID, orgID string, kind store.TokenKind) error {
	if err := ids(&accountID); err != nil {
		return err
	}
	a := args{accountID}
	q := `DELETE FROM one_time_tokens WHERE account_id = $1 AND used_at IS NULL`
	if kind != "" {
		q += ` AND kind = ` + a.add(string(kind))
	}
	if orgID != "" {
		if err := ids(&orgID); err != nil {
			return err
		}
		q += ` AND org_id = ` + a.add(orgID)
	}
	_, err := t.exec(ctx, "delete tokens", q, a...)
	return err
}
