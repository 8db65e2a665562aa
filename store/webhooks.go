package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
)

// Webhooks: an endpoint walks the event feed with its own cursor. A
// deliverer claims due endpoints (a lease held by a random holder id, like
// the outbox), renews the lease right before each POST, and moves the cursor
// past an event only while its claim still holds the endpoint; so events
// reach an endpoint in feed order, at least once, and twice only when a
// deliverer dies (or loses its lease) mid-POST.

// Webhook is an endpoint events are POSTed to.
type Webhook struct {
	ID string
	// OrgID limits the endpoint to one org's events; "" is platform-wide.
	OrgID string
	URL   string
	// Secret signs deliveries (HMAC-SHA256); it is shown once, at creation.
	Secret string
	// Types limits the event types sent; empty sends all.
	Types       []string
	CreatedAt   time.Time
	Cursor      EventPos
	Attempts    int
	NextAttempt time.Time
	LeaseHolder string
	LastError   string
}

// WebhookTx is the storage of webhooks.
type WebhookTx interface {
	InsertWebhook(ctx context.Context, w Webhook) error
	GetWebhook(ctx context.Context, id string) (Webhook, error)
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	// ClaimWebhooks leases up to limit due endpoints to holder (as ClaimOutbox).
	ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, holder string, limit int) ([]Webhook, error)
	// UpdateWebhook writes Cursor, Attempts, NextAttempt and LastError while
	// w.LeaseHolder holds the endpoint; otherwise ErrNotFound.
	UpdateWebhook(ctx context.Context, w Webhook) error
}

// WebhookLease is how long a claim or a renewal reserves an endpoint; one
// delivery (at most 10 s) fits well within it.
const WebhookLease = time.Minute

// ErrWebhookLeaseLost refuses to record a delivery for a claim that no
// longer holds the endpoint.
var ErrWebhookLeaseLost = fmt.Errorf("%w: the webhook is no longer leased to this claim", ErrConflict)

func webhookView(w Webhook) map[string]any {
	return map[string]any{"url": w.URL, "orgId": w.OrgID, "types": w.Types}
}

// CreateWebhook registers an endpoint (support only) and returns it with its
// secret, shown once. It starts at the head of the feed: only later events are sent.
func (s *Store) CreateWebhook(ctx context.Context, actor Actor, orgID, rawURL string, types []string) (w Webhook, err error) {
	if err := requireSupport(actor); err != nil {
		return Webhook{}, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return Webhook{}, invalid("url", "an http or https URL without credentials is required")
	}
	if err := CheckEventTypes(types); err != nil {
		return Webhook{}, err
	}
	secret, _, err := NewSecret("whsec_")
	if err != nil {
		return Webhook{}, err
	}
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		if orgID != "" {
			if _, err := tx.GetOrg(ctx, orgID, LockShare); err != nil {
				return fmt.Errorf("org: %w", err)
			}
		}
		head, err := tx.EventHead(ctx)
		if err != nil {
			return err
		}
		w = Webhook{ID: newID(), OrgID: orgID, URL: u.String(), Secret: secret, Types: types, CreatedAt: now,
			Cursor: head, NextAttempt: now}
		if err := tx.InsertWebhook(ctx, w); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "webhook.create", "webhook", w.ID, nil, webhookView(w))
	})
	return w, err
}

// ListWebhooks lists every endpoint, secrets blanked.
func (s *Store) ListWebhooks(ctx context.Context) (ws []Webhook, err error) {
	err = s.read(ctx, func(tx Tx) error { ws, err = tx.ListWebhooks(ctx); return err })
	for i := range ws {
		ws[i].Secret = ""
	}
	return ws, err
}

// DeleteWebhook removes an endpoint (support only).
func (s *Store) DeleteWebhook(ctx context.Context, actor Actor, id string) error {
	if err := requireSupport(actor); err != nil {
		return err
	}
	return s.write(ctx, func(tx Tx, now time.Time) error {
		w, err := tx.GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, id); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, w.OrgID, "webhook.delete", "webhook", id, webhookView(w), nil)
	})
}

// ClaimWebhooks leases up to limit due endpoints to a new claim.
func (s *Store) ClaimWebhooks(ctx context.Context, limit int) (ws []Webhook, err error) {
	holder := newID()
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		ws, err = tx.ClaimWebhooks(ctx, now, WebhookLease, holder, limit)
		return err
	})
	return ws, err
}

// WebhookEvents returns the next events due to w (its org and types), in order.
func (s *Store) WebhookEvents(ctx context.Context, w Webhook, limit int) ([]Event, error) {
	q := EventQuery{After: w.Cursor, Types: w.Types, Limit: limit}
	if w.OrgID != "" {
		q.OrgIDs = []string{w.OrgID}
	}
	es, _, err := s.ListEvents(ctx, q)
	return es, err
}

// RenewWebhookLease extends the claim on w to WebhookLease from now;
// ErrWebhookLeaseLost when the claim lost it.
func (s *Store) RenewWebhookLease(ctx context.Context, w Webhook) (Webhook, error) {
	return s.updateWebhook(ctx, w, func(w *Webhook, now time.Time) { w.NextAttempt = now.Add(WebhookLease) })
}

// MarkWebhookDelivered moves w's cursor past the delivered event.
func (s *Store) MarkWebhookDelivered(ctx context.Context, w Webhook, e Event) (Webhook, error) {
	return s.updateWebhook(ctx, w, func(w *Webhook, now time.Time) {
		w.Cursor, w.Attempts, w.LastError = e.Pos, 0, ""
	})
}

// MarkWebhookFailed records a failed delivery: the endpoint is tried again
// after WebhookBackoff (the same event first).
func (s *Store) MarkWebhookFailed(ctx context.Context, w Webhook, cause error) (Webhook, error) {
	return s.updateWebhook(ctx, w, func(w *Webhook, now time.Time) {
		w.Attempts++
		w.LastError = cause.Error()
		if len(w.LastError) > 1000 {
			w.LastError = w.LastError[:1000]
		}
		w.NextAttempt = now.Add(WebhookBackoff(w.Attempts))
	})
}

// ReleaseWebhook gives w back, due at once.
func (s *Store) ReleaseWebhook(ctx context.Context, w Webhook) error {
	_, err := s.updateWebhook(ctx, w, func(w *Webhook, now time.Time) { w.NextAttempt = now })
	return err
}

func (s *Store) updateWebhook(ctx context.Context, w Webhook, change func(w *Webhook, now time.Time)) (out Webhook, err error) {
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		out = w
		change(&out, now)
		err := tx.UpdateWebhook(ctx, out)
		if errors.Is(err, ErrNotFound) {
			return ErrWebhookLeaseLost
		}
		return err
	})
	return out, err
}

// WebhookBackoff is the wait after the n-th failed attempt in a row: 10 s
// doubling, at most an hour, less a random jitter of up to a quarter.
func WebhookBackoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// SplitTypes reads a comma-separated type list ("" is none).
func SplitTypes(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
