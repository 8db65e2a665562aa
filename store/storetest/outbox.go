package storetest

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

// The outbox subtests claim service-wide, so they run alone, each at its own
// epoch: every other subtest's messages are due only decades later.
var outboxTests = []test{
	{name: "outbox_claim_sent_failed_backoff", fn: testOutbox, epoch: time.Date(2002, 5, 6, 7, 0, 0, 0, time.UTC)},
	{name: "race_outbox_two_replicas", fn: testOutboxReplicas, epoch: time.Date(2001, 5, 6, 7, 0, 0, 0, time.UTC)},
	{name: "outbox_lease_holder", fn: testOutboxLeaseHolder, epoch: time.Date(2000, 5, 6, 7, 0, 0, 0, time.UTC)},
}

// claimMine claims until nothing is due and returns the claimed messages to the addresses.
func (e *env) claimMine(s *store.Store, to ...string) []store.OutboxMessage {
	e.Helper()
	var out []store.OutboxMessage
	for {
		ms := must(s.ClaimOutbox(e.ctx, 10))(e)
		if len(ms) == 0 {
			return out
		}
		for _, m := range ms {
			if slices.Contains(to, m.To) {
				out = append(out, m)
			}
		}
	}
}

// mail is the current row of one message.
func (e *env) mail(m store.OutboxMessage) store.OutboxMessage {
	e.Helper()
	for _, x := range e.mails(m.To) {
		if x.ID == m.ID {
			return x
		}
	}
	e.Fatalf("message %s to %s is gone", m.ID, m.To)
	return store.OutboxMessage{}
}

func testOutbox(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, m.Account.Email), "RequestPasswordReset")
	to := m.Account.Email
	claimed := e.claimMine(e.s, to)
	if len(claimed) != 2 {
		e.Fatalf("claimed %d messages to %s, want 2", len(claimed), to)
	}
	var inv, reset store.OutboxMessage
	for _, c := range claimed {
		if c.Kind == "invitation" {
			inv = c
		} else {
			reset = c
		}
	}
	if inv.ID == "" || reset.Kind != "password_reset" || inv.Body == "" || inv.OrgID != tn.ID {
		e.Errorf("claimed = %+v", claimed)
	}
	if again := e.claimMine(e.s, to); len(again) != 0 {
		e.Errorf("claimed %d leased messages again", len(again))
	}
	e.ok(e.s.MarkOutboxSent(e.ctx, inv), "MarkOutboxSent")
	if got := e.mail(inv); got.SentAt == nil || !e.clockEqual(*got.SentAt) || got.Attempts != 1 || got.LastError != "" {
		e.Errorf("sent message = %+v", got)
	}
	// A replica that died mid-send: its lease runs out and the message is claimed again.
	e.clock.Advance(store.OutboxLease + time.Second)
	claimed = e.claimMine(e.s, to)
	if len(claimed) != 1 || claimed[0].ID != reset.ID {
		e.Fatalf("after the lease: claimed %v, want only the unsent reset", claimed)
	}
	// Temporary failures back off: 30 s, then 60 s.
	e.ok(e.s.MarkOutboxFailed(e.ctx, claimed[0], errors.New("421 try again later"), false), "MarkOutboxFailed")
	got := e.mail(reset)
	if got.Attempts != 1 || got.LastError != "421 try again later" || got.FailedAt != nil || got.SentAt != nil ||
		!got.NextAttempt.Equal(e.clock.Now().Add(30*time.Second)) {
		e.Errorf("after one failure: %+v", got)
	}
	e.clock.Advance(29 * time.Second)
	if c := e.claimMine(e.s, to); len(c) != 0 {
		e.Errorf("claimed before the back-off ended")
	}
	e.clock.Advance(time.Second)
	claimed = e.claimMine(e.s, to)
	if len(claimed) != 1 || claimed[0].Attempts != 1 {
		e.Fatalf("after the back-off: claimed %+v, want the reset with one attempt", claimed)
	}
	e.ok(e.s.MarkOutboxFailed(e.ctx, claimed[0], errors.New(strings.Repeat("e", 5000)), false), "MarkOutboxFailed")
	got = e.mail(reset)
	if got.Attempts != 2 || len(got.LastError) > 1000 || !got.NextAttempt.Equal(e.clock.Now().Add(time.Minute)) {
		e.Errorf("after two failures: attempts %d, error %d bytes, next %v", got.Attempts, len(got.LastError), got.NextAttempt)
	}
	// A permanent failure is given up at once.
	e.clock.Advance(time.Minute)
	claimed = e.claimMine(e.s, to)
	if len(claimed) != 1 {
		e.Fatalf("claimed %d, want the reset", len(claimed))
	}
	e.ok(e.s.MarkOutboxFailed(e.ctx, claimed[0], errors.New("550 no such user"), true), "MarkOutboxFailed(permanent)")
	if got := e.mail(reset); got.FailedAt == nil || got.SentAt != nil {
		e.Errorf("after a permanent failure: %+v", got)
	}
	e.clock.Advance(24 * time.Hour)
	if c := e.claimMine(e.s, to); len(c) != 0 {
		e.Errorf("claimed a sent or given-up message: %+v", c)
	}

	// Temporary failures are given up after MaxOutboxAttempts.
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, to), "RequestPasswordReset")
	attempts := 0
	for attempts < store.MaxOutboxAttempts+2 {
		c := e.claimMine(e.s, to)
		if len(c) == 0 {
			break
		}
		attempts++
		e.ok(e.s.MarkOutboxFailed(e.ctx, c[0], errors.New("timeout"), false), "MarkOutboxFailed")
		e.clock.Advance(store.OutboxBackoff(attempts))
	}
	if attempts != store.MaxOutboxAttempts {
		e.Errorf("delivery tried %d times, want %d", attempts, store.MaxOutboxAttempts)
	}
	last := e.lastMail(to, "password_reset")
	if last.FailedAt == nil || last.Attempts != store.MaxOutboxAttempts {
		e.Errorf("after %d failures: %+v", attempts, last)
	}
	// Isolation: the listing by address is exact and case-insensitive.
	if got := e.mails(strings.ToUpper(to)); len(got) != 3 {
		e.Errorf("ListOutbox(upper-cased address) = %d messages, want 3", len(got))
	}
	for _, msg := range e.mails(other.Admin.Account.Email) {
		e.Errorf("another org's admin has a %s message", msg.Kind)
	}
	all := must(e.s.ListOutbox(e.ctx, ""))(e)
	if n := len(slices.DeleteFunc(all, func(x store.OutboxMessage) bool { return x.To != to })); n != 3 {
		e.Errorf("ListOutbox(\"\") has %d of our messages, want 3", n)
	}
}

func testOutboxReplicas(e *env) {
	for round := range 3 {
		tn := e.tenant()
		var to []string
		for range 12 {
			m := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
			e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, m.Account.Email), "RequestPasswordReset")
			to = append(to, m.Account.Email)
		}
		replicas := []*store.Store{newStore(e.b, e.clock), newStore(e.b, e.clock)}
		got := make([][]string, len(replicas))
		worker := func(i int) func() error {
			return func() error {
				for {
					ms, err := replicas[i].ClaimOutbox(e.ctx, 3)
					if err != nil || len(ms) == 0 {
						return err
					}
					for _, m := range ms {
						got[i] = append(got[i], m.ID)
						if err := replicas[i].MarkOutboxSent(e.ctx, m); err != nil {
							return err
						}
					}
				}
			}
		}
		for _, err := range race(worker(0), worker(1)) {
			e.ok(err, "replica claiming")
		}
		seen := map[string]int{}
		for _, ids := range got {
			for _, id := range ids {
				seen[id]++
			}
		}
		want := 0
		for _, addr := range to {
			for _, m := range e.mails(addr) {
				want++
				if seen[m.ID] != 1 {
					e.Errorf("round %d: message %s claimed %d times, want once", round, m.ID, seen[m.ID])
				}
				if m.SentAt == nil || m.Attempts != 1 {
					e.Errorf("round %d: message %s: sent %v, %d attempts; want sent once", round, m.ID, m.SentAt != nil, m.Attempts)
				}
			}
		}
		if want != 2*len(to) {
			e.Errorf("round %d: %d messages, want %d", round, want, 2*len(to))
		}
	}
}

// Only the claim that holds a message records its delivery: a replica whose
// lease ran out and was claimed again by another can neither renew, release
// nor mark it, and writes nothing.
func testOutboxLeaseHolder(e *env) {
	tn := e.tenant()
	m := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
	to := m.Account.Email
	first := e.claimMine(e.s, to)
	if len(first) != 1 || first[0].LeaseHolder == "" {
		e.Fatalf("claimed %+v, want the invitation with a lease holder", first)
	}
	old := first[0]

	// A renewal keeps the message from other claims past the first lease.
	e.clock.Advance(store.OutboxLease - time.Second)
	renewed, err := e.s.RenewOutboxLease(e.ctx, old)
	e.ok(err, "RenewOutboxLease")
	if !renewed.NextAttempt.Equal(e.clock.Now().Add(store.OutboxLease)) || e.mail(old).NextAttempt != renewed.NextAttempt {
		e.Errorf("renewed lease ends %v (stored %v), want %v", renewed.NextAttempt, e.mail(old).NextAttempt, e.clock.Now().Add(store.OutboxLease))
	}
	e.clock.Advance(2 * time.Second)
	if c := e.claimMine(newStore(e.b, e.clock), to); len(c) != 0 {
		e.Fatalf("another replica claimed a renewed lease: %+v", c)
	}

	// An expired lease is claimed again, by a new holder.
	e.clock.Advance(store.OutboxLease)
	replica := newStore(e.b, e.clock)
	again := e.claimMine(replica, to)
	if len(again) != 1 || again[0].ID != old.ID || again[0].LeaseHolder == old.LeaseHolder {
		e.Fatalf("after the lease: claimed %+v, want the message under a new holder", again)
	}
	before := e.mail(old)
	for name, err := range map[string]error{
		"MarkOutboxSent":   e.s.MarkOutboxSent(e.ctx, old),
		"MarkOutboxFailed": e.s.MarkOutboxFailed(e.ctx, old, errors.New("timeout"), false),
		"ReleaseOutbox":    e.s.ReleaseOutbox(e.ctx, old),
		"RenewOutboxLease": func() error { _, err := e.s.RenewOutboxLease(e.ctx, old); return err }(),
	} {
		if !errors.Is(err, store.ErrOutboxLeaseLost) {
			e.Errorf("%s by the old holder = %v, want ErrOutboxLeaseLost", name, err)
		}
	}
	if after := e.mail(old); after.Attempts != 0 || after.SentAt != nil || after.FailedAt != nil ||
		!after.NextAttempt.Equal(before.NextAttempt) || after.LeaseHolder != again[0].LeaseHolder {
		e.Errorf("a refused mark wrote: before %+v, after %+v", before, after)
	}

	// The holder releases it (shutdown): due at once, no attempt counted.
	e.ok(replica.ReleaseOutbox(e.ctx, again[0]), "ReleaseOutbox")
	if got := e.mail(old); got.Attempts != 0 || !got.NextAttempt.Equal(e.clock.Now()) {
		e.Errorf("released message = %+v, want due now with no attempt", got)
	}
	last := e.claimMine(e.s, to)
	if len(last) != 1 {
		e.Fatalf("a released message is claimed at once: got %+v", last)
	}
	e.ok(e.s.MarkOutboxSent(e.ctx, last[0]), "MarkOutboxSent")
	if err := e.s.MarkOutboxSent(e.ctx, last[0]); !errors.Is(err, store.ErrOutboxLeaseLost) {
		e.Errorf("marking a sent message again = %v, want ErrOutboxLeaseLost", err)
	}
	if got := e.mail(old); got.SentAt == nil || got.Attempts != 1 {
		e.Errorf("sent message = %+v, want sent after one attempt", got)
	}
}
