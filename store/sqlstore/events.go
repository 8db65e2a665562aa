package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

const eventCols = `txn, seq, id, org_id, type, actor_kind, actor_id, actor_name, resource_type, resource_id, changed, data, at`

// InsertEvent appends an event; the database assigns seq (and, on
// PostgreSQL, txn). It may be queued (Pipeliner).
func (t *Tx) InsertEvent(ctx context.Context, e store.Event) error {
	if err := ids(&e.ID); err != nil {
		return err
	}
	orgID, err := optID(e.OrgID)
	if err != nil {
		return err
	}
	return t.execLater(ctx, "insert event", `INSERT INTO events (id, org_id, type, actor_kind, actor_id, actor_name,
		resource_type, resource_id, changed, data, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, orgID, e.Type, e.Actor.Kind, e.Actor.ID, e.Actor.Name, e.Resource.Type, e.Resource.ID,
		strings.Join(e.Changed, ","), optJSON(e.Resource.Data), t.time(e.At))
}

// visible is the condition on events a reader may see (Dialect.EventHorizon).
func (t *Tx) visible() string {
	if t.d.EventHorizon == "" {
		return "TRUE"
	}
	return "txn < " + t.d.EventHorizon
}

// ListEvents returns events after q.After in (txn, seq) order.
func (t *Tx) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	var a args
	where := []string{t.visible(), `(txn > ` + a.add(q.After.Txn) + ` OR (txn = ` + a.add(q.After.Txn) + ` AND seq > ` + a.add(q.After.Seq) + `))`}
	if q.OrgIDs != nil {
		orgs := validIDs(q.OrgIDs)
		if len(orgs) == 0 {
			return nil, nil
		}
		where = append(where, `org_id IN (`+a.list(orgs)+`)`)
	}
	if len(q.Types) > 0 {
		where = append(where, `type IN (`+a.list(q.Types)+`)`)
	}
	sql := `SELECT ` + eventCols + ` FROM events WHERE ` + strings.Join(where, ` AND `) +
		` ORDER BY txn, seq LIMIT ` + a.add(limit(q.Limit))
	var out []store.Event
	err := t.queryAll(ctx, "list events", sql, a, func(r Rows) error {
		var e store.Event
		var changed string
		err := r.Scan(&e.Pos.Txn, &e.Pos.Seq, textScan{&e.ID}, textScan{&e.OrgID}, &e.Type, &e.Actor.Kind, &e.Actor.ID,
			&e.Actor.Name, &e.Resource.Type, &e.Resource.ID, &changed, jsonScan{&e.Resource.Data}, timeScan{&e.At})
		e.Changed = store.SplitTypes(changed)
		out = append(out, e)
		return err
	})
	return out, err
}

// EventHead is the position of the last visible event.
func (t *Tx) EventHead(ctx context.Context) (store.EventPos, error) {
	var out store.EventPos
	err := t.queryAll(ctx, "event head", `SELECT txn, seq FROM events WHERE `+t.visible()+
		` ORDER BY txn DESC, seq DESC LIMIT 1`, nil, func(r Rows) error {
		return r.Scan(&out.Txn, &out.Seq)
	})
	return out, err
}

// DeleteEventsBefore deletes events older than before.
func (t *Tx) DeleteEventsBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := t.exec(ctx, "purge events", `DELETE FROM events WHERE at < $1`, t.time(before))
	return int(n), err
}

const webhookCols = `id, org_id, url, secret, types, created_at, cursor_txn, cursor_seq, attempts, next_attempt,
	lease_holder, last_error`

func webhookDest(w *store.Webhook, types *string) []any {
	return []any{textScan{&w.ID}, textScan{&w.OrgID}, &w.URL, &w.Secret, types, timeScan{&w.CreatedAt},
		&w.Cursor.Txn, &w.Cursor.Seq, &w.Attempts, timeScan{&w.NextAttempt}, &w.LeaseHolder, &w.LastError}
}

func (t *Tx) queryWebhooks(ctx context.Context, op, sql string, a args) ([]store.Webhook, error) {
	var out []store.Webhook
	err := t.queryAll(ctx, op, sql, a, func(r Rows) error {
		var w store.Webhook
		var types string
		err := r.Scan(webhookDest(&w, &types)...)
		w.Types = store.SplitTypes(types)
		out = append(out, w)
		return err
	})
	return out, err
}

// InsertWebhook inserts an endpoint.
func (t *Tx) InsertWebhook(ctx context.Context, w store.Webhook) error {
	if err := ids(&w.ID); err != nil {
		return err
	}
	orgID, err := optID(w.OrgID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert webhook", `INSERT INTO webhooks (`+webhookCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		w.ID, orgID, w.URL, w.Secret, strings.Join(w.Types, ","), t.time(w.CreatedAt), w.Cursor.Txn, w.Cursor.Seq,
		w.Attempts, t.time(w.NextAttempt), w.LeaseHolder, w.LastError)
	return err
}

// GetWebhook returns one endpoint.
func (t *Tx) GetWebhook(ctx context.Context, webhookID string) (store.Webhook, error) {
	if err := ids(&webhookID); err != nil {
		return store.Webhook{}, err
	}
	ws, err := t.queryWebhooks(ctx, "get webhook", `SELECT `+webhookCols+` FROM webhooks WHERE id = $1`, args{webhookID})
	if err == nil && len(ws) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Webhook{}, err
	}
	return ws[0], nil
}

// ListWebhooks lists endpoints, oldest first.
func (t *Tx) ListWebhooks(ctx context.Context) ([]store.Webhook, error) {
	return t.queryWebhooks(ctx, "list webhooks", `SELECT `+webhookCols+` FROM webhooks ORDER BY created_at, id`, nil)
}

// DeleteWebhook deletes an endpoint.
func (t *Tx) DeleteWebhook(ctx context.Context, webhookID string) error {
	if err := ids(&webhookID); err != nil {
		return err
	}
	return t.execOne(ctx, "delete webhook", `DELETE FROM webhooks WHERE id = $1`, webhookID)
}

// ClaimWebhooks leases up to n due endpoints to holder (FOR UPDATE SKIP
// LOCKED on PostgreSQL, as ClaimOutbox).
func (t *Tx) ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, holder string, n int) ([]store.Webhook, error) {
	if n <= 0 {
		return nil, nil
	}
	return t.queryWebhooks(ctx, "claim webhooks", `UPDATE webhooks SET next_attempt = $1, lease_holder = $4 WHERE id IN (
		SELECT id FROM webhooks WHERE next_attempt <= $2 ORDER BY next_attempt LIMIT $3`+t.d.UpdateLock+t.d.SkipLocked+`)
		RETURNING `+webhookCols, args{t.time(now.Add(lease)), t.time(now), n, holder})
}

// UpdateWebhook writes the delivery state of w while w's claim holds it.
func (t *Tx) UpdateWebhook(ctx context.Context, w store.Webhook) error {
	if err := ids(&w.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update webhook", `UPDATE webhooks SET cursor_txn = $2, cursor_seq = $3, attempts = $4,
		next_attempt = $5, last_error = $6 WHERE id = $1 AND lease_holder = $7`,
		w.ID, w.Cursor.Txn, w.Cursor.Seq, w.Attempts, t.time(w.NextAttempt), w.LastError, w.LeaseHolder)
}
