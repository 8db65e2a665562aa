package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Outbox delivery: the sender in serve claims due messages, delivers them, and
// records the outcome. A claim is a lease held by a random holder id: while a
// sender works through its claim it renews the lease of each message right
// before sending it (RenewOutboxLease), and a delivery is recorded only while
// the claim still holds the message. A sender whose lease ran out and was
// claimed by another replica learns so before sending (the renewal is
// refused) and skips the message, so each message is sent once unless the
// process dies mid-send: its lease then runs out and another replica sends
// the message again.

// OutboxLease is how long a claimed or renewed message is reserved for its
// claimer. A sender must finish one delivery well within it (mail.SendTimeout).
const OutboxLease = 2 * time.Minute

// MaxOutboxAttempts is how many deliveries are tried before a message is given up.
const MaxOutboxAttempts = 12

// ErrOutboxLeaseLost refuses to record a delivery for a claim that no longer
// holds the message: its lease ran out and another claim took it, or the
// message was already recorded sent or given up.
var ErrOutboxLeaseLost = fmt.Errorf("%w: the outbox message is no longer leased to this claim", ErrConflict)

// ClaimOutbox reserves up to limit due messages for a new claim; each message
// returned carries the claim's LeaseHolder.
func (s *Store) ClaimOutbox(ctx context.Context, limit int) (ms []OutboxMessage, err error) {
	holder := newID()
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		ms, err = tx.ClaimOutbox(ctx, now, OutboxLease, holder, limit)
		return err
	})
	return ms, err
}

// RenewOutboxLease extends the claim on m to OutboxLease from now and returns
// the message as stored; ErrOutboxLeaseLost when the claim lost it.
func (s *Store) RenewOutboxLease(ctx context.Context, m OutboxMessage) (OutboxMessage, error) {
	return s.updateOutbox(ctx, m, func(m *OutboxMessage, now time.Time) { m.NextAttempt = now.Add(OutboxLease) })
}

// ReleaseOutbox gives m back unsent, due at once and without counting an
// attempt: for a sender that stops (shutdown) before or while sending it.
func (s *Store) ReleaseOutbox(ctx context.Context, m OutboxMessage) error {
	_, err := s.updateOutbox(ctx, m, func(m *OutboxMessage, now time.Time) { m.NextAttempt = now })
	return err
}

// MarkOutboxSent records a delivered message.
func (s *Store) MarkOutboxSent(ctx context.Context, m OutboxMessage) error {
	_, err := s.updateOutbox(ctx, m, func(m *OutboxMessage, now time.Time) {
		m.Attempts++
		m.SentAt, m.LastError = &now, ""
	})
	return err
}

// MarkOutboxFailed records a failed delivery: retried later with exponential
// back-off (30 s doubling, at most an hour), or given up when permanent or
// after MaxOutboxAttempts.
func (s *Store) MarkOutboxFailed(ctx context.Context, m OutboxMessage, cause error, permanent bool) error {
	_, err := s.updateOutbox(ctx, m, func(m *OutboxMessage, now time.Time) {
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
	})
	return err
}

// updateOutbox writes m as change leaves it at the transaction's time, only
// while m's claim (LeaseHolder) still holds the unsent message.
func (s *Store) updateOutbox(ctx context.Context, m OutboxMessage, change func(m *OutboxMessage, now time.Time)) (out OutboxMessage, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		out = m // a retried transaction starts again from m
		change(&out, now)
		err := tx.UpdateOutbox(ctx, out)
		if errors.Is(err, ErrNotFound) {
			return ErrOutboxLeaseLost
		}
		return err
	})
	return out, err
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
