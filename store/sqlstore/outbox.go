package sqlstore

import (
	"context"
	"sort"
	"time"

	"github.com/idbridge/idbridge/store"
)

const outboxCols = `id, org_id, kind, from_name, from_email, to_addr, subject, body, created_at, attempts,
	next_attempt, sent_at, failed_at, last_error, lease_holder`

func outboxDest(m *store.OutboxMessage) []any {
	return []any{textScan{&m.ID}, textScan{&m.OrgID}, &m.Kind, &m.FromName, &m.FromEmail, &m.To, &m.Subject, &m.Body,
		timeScan{&m.CreatedAt}, &m.Attempts, timeScan{&m.NextAttempt}, nullTimeScan{&m.SentAt}, nullTimeScan{&m.FailedAt},
		&m.LastError, &m.LeaseHolder}
}

// InsertOutbox queues a message; the INSERT itself may be queued (Pipeliner).
func (t *Tx) InsertOutbox(ctx context.Context, m store.OutboxMessage) error {
	if err := ids(&m.ID); err != nil {
		return err
	}
	orgID, err := optID(m.OrgID)
	if err != nil {
		return err
	}
	return t.execLater(ctx, "insert outbox", `INSERT INTO outbox (`+outboxCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		m.ID, orgID, m.Kind, m.FromName, m.FromEmail, m.To, m.Subject, m.Body, t.time(m.CreatedAt), m.Attempts,
		t.time(m.NextAttempt), t.optTime(m.SentAt), t.optTime(m.FailedAt), m.LastError, m.LeaseHolder)
}

// ClaimOutbox leases up to n due messages to holder, oldest due first.
// On PostgreSQL the inner SELECT skips rows another claimer holds (FOR UPDATE
// SKIP LOCKED); SQLite runs one writer at a time, which is as safe.
func (t *Tx) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, holder string, n int) ([]store.OutboxMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []store.OutboxMessage
	err := t.queryAll(ctx, "claim outbox", `UPDATE outbox SET next_attempt = $1, lease_holder = $4 WHERE id IN (
		SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt <= $2
		ORDER BY next_attempt LIMIT $3`+t.d.UpdateLock+t.d.SkipLocked+`) RETURNING `+outboxCols,
		args{t.time(now.Add(lease)), t.time(now), n, holder}, func(r Rows) error {
			var m store.OutboxMessage
			err := r.Scan(outboxDest(&m)...)
			out = append(out, m)
			return err
		})
	// RETURNING has no order; give the oldest first.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// UpdateOutbox writes the delivery state of m while m's claim holds it.
func (t *Tx) UpdateOutbox(ctx context.Context, m store.OutboxMessage) error {
	if err := ids(&m.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update outbox", `UPDATE outbox SET attempts = $2, next_attempt = $3, sent_at = $4,
		failed_at = $5, last_error = $6 WHERE id = $1 AND lease_holder = $7 AND sent_at IS NULL AND failed_at IS NULL`,
		m.ID, m.Attempts, t.time(m.NextAttempt), t.optTime(m.SentAt), t.optTime(m.FailedAt), m.LastError, m.LeaseHolder)
}

// GetOutbox returns one message.
func (t *Tx) GetOutbox(ctx context.Context, messageID string) (store.OutboxMessage, error) {
	if err := ids(&messageID); err != nil {
		return store.OutboxMessage{}, err
	}
	var m store.OutboxMessage
	err := t.c.QueryRow(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = $1`, messageID).Scan(outboxDest(&m)...)
	return m, t.err("get outbox", err)
}

// ListOutbox lists messages to one address (case-insensitive) or ("") all, oldest first.
func (t *Tx) ListOutbox(ctx context.Context, to string) ([]store.OutboxMessage, error) {
	var a args
	q := `SELECT ` + outboxCols + ` FROM outbox`
	if to != "" {
		q += ` WHERE ` + t.d.Fold("to_addr") + ` = ` + t.d.Fold(a.add(to))
	}
	var out []store.OutboxMessage
	err := t.queryAll(ctx, "list outbox", q+` ORDER BY created_at, id`, a, func(r Rows) error {
		var m store.OutboxMessage
		err := r.Scan(outboxDest(&m)...)
		out = append(out, m)
		return err
	})
	return out, err
}
