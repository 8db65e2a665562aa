package store

import (
	"strings"
	"testing"
	"time"
)

// Mail says how long a link lives as people say it (issue 8 item 22: the
// reset email said "expires in 30m0s").
func TestLinkLifetimeInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute:    "30 minutes",
		time.Minute:         "1 minute",
		90 * time.Second:    "2 minutes",
		time.Second:         "1 minute",
		time.Hour:           "1 hour",
		90 * time.Minute:    "90 minutes",
		48 * time.Hour:      "2 days",
		7 * 24 * time.Hour:  "7 days",
		36 * time.Hour:      "36 hours",
		24 * time.Hour:      "1 day",
		25*time.Hour + 1e9:  "1501 minutes",
		15 * 24 * time.Hour: "15 days",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
	s := New(nil, Options{BaseURL: "https://id.example"})
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, m := range []OutboxMessage{
		s.resetMessage(now, Org{}, Account{Email: "a@b.example"}, "rst_x"),
		s.invitationMessage(now, Org{Name: "Acme"}, Account{Email: "a@b.example"}, "inv_x"),
	} {
		want := map[string]string{"password_reset": "expires in 30 minutes.", "invitation": "expires in 7 days ("}[m.Kind]
		if !strings.Contains(m.Body, want) || strings.Contains(m.Body, "0s") {
			t.Errorf("%s message: %q, want %q", m.Kind, m.Body, want)
		}
	}
}
