package store

import (
	"context"
	"time"
)

// Outbox delivery: the sender in serve claims due messages, delivers them, and
// records the outcome. A claim is a lease: a replica that dies mid-send leaves
// the message to be claimed again when the lease runs out.

// OutboxLease is how long a claimed message is reserved for its claimer.
const OutboxLease = 2 * time.Minute

// MaxOutboxAttempts is how many deliveries are tried before a message is given up.
const MaxOutboxAttempts = 12

// ClaimOutbox reserves up to limit due messages for this caller.
func (s *Store) ClaimOutbox(ctx context.Context, limit int) (ms []OutboxMessage, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		ms, err = tx.ClaimOutbox(ctx, now, OutboxLease, limit)
		return err
	})
	return ms, err
}

// MarkOutboxSent records a delivered message.
func (s *Store) MarkOutboxSent(ctx context.Context, m OutboxMessage) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		m.Attempts++
		m.SentAt, m.LastError = &now, ""
		return tx.UpdateOutbox(ctx, m)
	})
}

// MarkOutboxFailed records a failed delivery: retried later with exponential
// back-off (30 s doubling, at most an hour), or given up when permanent or
// after MaxOutboxAttempts.
func (s *Store) MarkOutboxFailed(ctx context.Context, m OutboxMessage, cause error, permanent bool) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		m.Attempts++
		m.LastError = cause.Error()
		if len(m.LastError) > 1000 {
			m.LastError = m.LastError[:1000]
		}
		if permanent || m.Attempts >= MaxOutboxAttempts {
			m.FailedAt = &now
		} else {
			m.NextAttempt = now.Add(OutboxBackoff(m.Attempts))
		}
		return tx.UpdateOutbox(ctx, m)
	})
}

// OutboxBackoff is the wait after the n-th failed attempt.
func OutboxBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// ListOutbox lists messages to one address ("" = all), oldest first.
func (s *Store) ListOutbox(ctx context.Context, to string) (ms []OutboxMessage, err error) {
	err = s.read(ctx, func(tx Tx) error { ms, err = tx.ListOutbox(ctx, to); return err })
	return ms, err
}

// ListAudit lists audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, q AuditQuery) (es []AuditEntry, err error) {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = 100
	}
	err = s.read(ctx, func(tx Tx) error { es, err = tx.ListAudit(ctx, q); return err })
	return es, err
}
