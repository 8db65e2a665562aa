package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/idbridge/idbridge/store"
)

// Outbox delivers the store's outbox (rule 16): it claims due messages (a
// lease, see store.ClaimOutbox), renews a message's lease right before
// sending it, sends it, and records the outcome; failures are retried with
// back-off by the store. A message whose lease another replica took over
// meanwhile is skipped, so several replicas never send one message twice
// (unless a process dies mid-send). When ctx ends mid-batch, the message being
// sent and the rest of the claim are released unsent, without an attempt.
type Outbox struct {
	Store    *store.Store
	Sender   Sender
	Log      *slog.Logger
	Interval time.Duration // how often to look for due messages
	Batch    int           // messages claimed at once (default 20)
	// Sent and Failed, when set, count outcomes (metrics).
	Sent, Failed func()
}

// SendTimeout bounds one delivery. It is well within store.OutboxLease, which
// a sender renews right before each delivery, so no other replica can claim
// a message while it is being sent.
const SendTimeout = time.Minute

// Run delivers until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		for o.DeliverOnce(ctx) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverOnce claims one batch and delivers it; it returns how many it claimed.
func (o *Outbox) DeliverOnce(ctx context.Context) int {
	batch := o.Batch
	if batch <= 0 {
		batch = 20
	}
	msgs, err := o.Store.ClaimOutbox(ctx, batch)
	if err != nil {
		if ctx.Err() == nil {
			o.Log.Error("outbox.claim_failed", "err", err)
		}
		return 0
	}
	for _, m := range msgs {
		if ctx.Err() != nil {
			o.release(ctx, m)
			continue
		}
		o.deliver(ctx, m)
	}
	return len(msgs)
}

func (o *Outbox) deliver(ctx context.Context, m store.OutboxMessage) {
	// The claim may be old (a batch behind slow sends): renew it, or learn
	// that another replica took the message over.
	m, err := o.Store.RenewOutboxLease(ctx, m)
	if errors.Is(err, store.ErrOutboxLeaseLost) {
		o.Log.Info("outbox.lease_lost", "id", m.ID, "kind", m.Kind)
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			o.Log.Error("outbox.renew_failed", "id", m.ID, "err", err)
		}
		return // the lease runs out and the message is claimed again
	}
	sendCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	err = o.Sender.Send(sendCtx, Message{ID: m.ID, From: m.FromEmail, FromName: m.FromName, To: m.To, Subject: m.Subject, Text: m.Body})
	cancel()
	if err != nil && ctx.Err() != nil {
		// Shutting down interrupted the send: not an attempt of this message.
		o.release(ctx, m)
		return
	}
	// Record the outcome even when ctx is ending, so a sent message is not sent again.
	rec, stop := recording(ctx)
	defer stop()
	if err == nil {
		if err := o.Store.MarkOutboxSent(rec, m); err != nil {
			o.Log.Error("outbox.record_failed", "id", m.ID, "err", err)
		}
		o.Log.Info("outbox.sent", "id", m.ID, "kind", m.Kind, "org", m.OrgID)
		if o.Sent != nil {
			o.Sent()
		}
		return
	}
	permanent := IsPermanent(err)
	o.Log.Warn("outbox.send_failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "permanent", permanent, "err", err)
	if o.Failed != nil {
		o.Failed()
	}
	if err := o.Store.MarkOutboxFailed(rec, m, err, permanent); err != nil {
		o.Log.Error("outbox.record_failed", "id", m.ID, "err", err)
	}
}

// release gives a claimed message back unsent as ctx ends, so the next
// replica (or the next start) sends it at once.
func (o *Outbox) release(ctx context.Context, m store.OutboxMessage) {
	rec, stop := recording(ctx)
	defer stop()
	if err := o.Store.ReleaseOutbox(rec, m); err != nil && !errors.Is(err, store.ErrOutboxLeaseLost) {
		o.Log.Error("outbox.release_failed", "id", m.ID, "err", err)
		return
	}
	o.Log.Info("outbox.released", "id", m.ID, "kind", m.Kind)
}

// recording is the context that records an outcome, also once ctx ended.
func recording(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
