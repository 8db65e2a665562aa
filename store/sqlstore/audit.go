package sqlstore

import (
	"context"

	"github.com/idbridge/idbridge/store"
)

// InsertAudit appends an entry; the database assigns Seq (PostgreSQL
// bigserial, SQLite INTEGER PRIMARY KEY AUTOINCREMENT). It may be queued
// (Pipeliner): nothing in the transaction reads it back.
func (t *Tx) InsertAudit(ctx context.Context, e store.AuditEntry) error {
	orgID, err := optID(e.OrgID)
	if err != nil {
		return err
	}
	return t.execLater(ctx, "insert audit", `INSERT INTO audit_log (org_id, actor_kind, actor_account_id, actor_org_id,
		actor_token_id, actor_name, action, target_type, target_id, before_json, after_json, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		orgID, string(e.Actor.Kind), e.Actor.AccountID, e.Actor.OrgID, e.Actor.TokenID, e.Actor.Name,
		e.Action, e.TargetType, e.TargetID, optJSON(e.Before), optJSON(e.After), t.time(e.At))
}

// ListAudit lists entries newest first, of one org or ("") all.
func (t *Tx) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	var a args
	var where []string
	if q.OrgID != "" {
		if err := ids(&q.OrgID); err != nil {
			return nil, err
		}
		where = append(where, `org_id = `+a.add(q.OrgID))
	}
	if q.BeforeSeq > 0 {
		where = append(where, `seq < `+a.add(q.BeforeSeq))
	}
	sql := `SELECT seq, org_id, actor_kind, actor_account_id, actor_org_id, actor_token_id, actor_name, action,
		target_type, target_id, before_json, after_json, at FROM audit_log`
	for i, w := range where {
		if i == 0 {
			sql += ` WHERE ` + w
		} else {
			sql += ` AND ` + w
		}
	}
	sql += ` ORDER BY seq DESC LIMIT ` + a.add(limit(q.Limit))
	var out []store.AuditEntry
	err := t.queryAll(ctx, "list audit", sql, a, func(r Rows) error {
		var e store.AuditEntry
		err := r.Scan(&e.Seq, textScan{&e.OrgID}, &e.Actor.Kind, &e.Actor.AccountID, &e.Actor.OrgID, &e.Actor.TokenID,
			&e.Actor.Name, &e.Action, &e.TargetType, &e.TargetID, jsonScan{&e.Before}, jsonScan{&e.After}, timeScan{&e.At})
		out = append(out, e)
		return err
	})
	return out, err
}
