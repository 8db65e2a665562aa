package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// DeliveryTimeout bounds one POST; it is well within store.WebhookLease,
// which the deliverer renews right before each POST.
const DeliveryTimeout = 10 * time.Second

// Deliverer POSTs events to webhook endpoints: it claims due endpoints (a
// lease, see store.ClaimWebhooks), and for each sends the events after its
// cursor one at a time, in feed order, renewing the lease right before each
// POST and moving the cursor after a 2xx answer only while it still holds
// the lease. Any other answer, a redirect (never followed), a timeout or a
// refused address is a failed attempt: the endpoint waits
// store.WebhookBackoff and then gets the same event again.
type Deliverer struct {
	Store *store.Store
	Log   *slog.Logger
	// AllowPrivate lets deliveries reach loopback and private addresses
	// (tests; never in production: see sso.FetchOptions).
	AllowPrivate bool
	Interval     time.Duration // how often to look for due endpoints
	Batch        int           // endpoints claimed at once (default 10)
	// Now is the clock of the signatures (default time.Now).
	Now func() time.Time
	// Delivered and Failed, when set, count outcomes (metrics).
	Delivered, Failed func()

	client *http.Client
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTicker(d.Interval)
	defer t.Stop()
	for {
		for d.DeliverOnce(ctx) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverOnce claims one batch of endpoints and sends each its pending
// events; it returns how many events were delivered.
func (d *Deliverer) DeliverOnce(ctx context.Context) int {
	if d.client == nil {
		c := sso.FetchOptions{AllowPrivate: d.AllowPrivate, Timeout: DeliveryTimeout}.HTTPClient()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		d.client = c
	}
	batch := d.Batch
	if batch <= 0 {
		batch = 10
	}
	ws, err := d.Store.ClaimWebhooks(ctx, batch)
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Error("webhook.claim_failed", "err", err)
		}
		return 0
	}
	n := 0
	for _, w := range ws {
		n += d.endpoint(ctx, w)
	}
	return n
}

// endpoint delivers w's pending events (up to 100) and gives w back.
func (d *Deliverer) endpoint(ctx context.Context, w store.Webhook) int {
	rec, stop := recording(ctx)
	defer stop()
	es, err := d.Store.WebhookEvents(ctx, w, 100)
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Error("webhook.list_failed", "webhook", w.ID, "err", err)
		}
		d.release(rec, w)
		return 0
	}
	n := 0
	for _, e := range es {
		if ctx.Err() != nil {
			break
		}
		// Renew the lease, or learn that another deliverer took the endpoint over.
		if w, err = d.Store.RenewWebhookLease(ctx, w); err != nil {
			if !errors.Is(err, store.ErrWebhookLeaseLost) && ctx.Err() == nil {
				d.Log.Error("webhook.renew_failed", "webhook", w.ID, "err", err)
			}
			return n
		}
		err := d.post(ctx, w, e)
		if err != nil && ctx.Err() != nil {
			break // shutting down: not an attempt
		}
		if err != nil {
			d.Log.Warn("webhook.delivery_failed", "webhook", w.ID, "event", e.ID, "attempt", w.Attempts+1, "err", err)
			if d.Failed != nil {
				d.Failed()
			}
			if _, err := d.Store.MarkWebhookFailed(rec, w, err); err != nil && !errors.Is(err, store.ErrWebhookLeaseLost) {
				d.Log.Error("webhook.record_failed", "webhook", w.ID, "err", err)
			}
			return n
		}
		n++
		if d.Delivered != nil {
			d.Delivered()
		}
		if w, err = d.Store.MarkWebhookDelivered(rec, w, e); err != nil {
			if !errors.Is(err, store.ErrWebhookLeaseLost) {
				d.Log.Error("webhook.record_failed", "webhook", w.ID, "err", err)
			}
			return n
		}
	}
	d.release(rec, w)
	return n
}

func (d *Deliverer) release(ctx context.Context, w store.Webhook) {
	if err := d.Store.ReleaseWebhook(ctx, w); err != nil && !errors.Is(err, store.ErrWebhookLeaseLost) {
		d.Log.Error("webhook.release_failed", "webhook", w.ID, "err", err)
	}
}

// post sends one event; nil only for a 2xx answer.
func (d *Deliverer) post(ctx context.Context, w store.Webhook, e store.Event) error {
	body, err := json.Marshal(wire(e))
	if err != nil {
		return err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "idbridge-webhooks")
	req.Header.Set(SignatureHeader, Sign(w.Secret, now(), body))
	req.Header.Set("Idempotency-Key", e.ID)
	req.Header.Set("Idbridge-Event-Type", e.Type)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// recording is the context that records an outcome, also once ctx ended.
func recording(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
