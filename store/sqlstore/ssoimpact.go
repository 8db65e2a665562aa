package sqlstore

import (
	"context"

	"github.com/idbridge/idbridge/store"
)

// SSOImpact counts an org's members, enabled members, invited members not
// yet activated, and members without a password (store.SSOImpact).
func (t *Tx) SSOImpact(ctx context.Context, orgID string) (store.SSOImpact, error) {
	var out store.SSOImpact
	if err := ids(&orgID); err != nil {
		return out, err
	}
	var n, enabled, invited, nopw int64
	err := t.c.QueryRow(ctx, `SELECT count(*),
		COALESCE(sum(CASE WHEN m.disabled THEN 0 ELSE 1 END), 0),
		COALESCE(sum(CASE WHEN m.invited_at IS NOT NULL AND a.activated_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN a.password_hash = '' THEN 1 ELSE 0 END), 0)
		FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.org_id = $1`, orgID).Scan(&n, &enabled, &invited, &nopw)
	if err != nil {
		return out, t.err("sso impact", err)
	}
	return store.SSOImpact{Members: int(n), Enabled: int(enabled), Invited: int(invited), WithoutPassword: int(nopw)}, nil
}
