package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/idbridge/idbridge/store"
)

// Outbox delivers the store's outbox (rule 16): it claims due messages (a
// lease, so several replicas never send one message twice), sends each, and
// records the outcome; failures are retried with back-off by the store.
type Outbox struct {
	Store    *store.Store
	Sender   Sender
	Log      *slog.Logger
	Interval time.Duration // how often to look for due messages
	Batch    int           // messages claimed at once (default 20)
	// Sent and Failed, when set, count outcomes (metrics).
	Sent, Failed func()
}

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
		o.deliver(ctx, m)
	}
	return len(msgs)
}

func (o *Outbox) deliver(ctx context.Context, m store.OutboxMessage) {
	sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err := o.Sender.Send(sendCtx, Message{ID: m.ID, From: m.FromEmail, FromName: m.FromName, To: m.To, Subject: m.Subject, Text: m.Body})
	cancel()
	// Record the outcome even when ctx is ending, so a sent message is not sent again.
	rec, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
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
