package storetest

import (
	"encoding/json"

	"time"

	"github.com/idbridge/idbridge/store"
)

// ssoFlowTests: sign-ins in progress are single-use and expire, and used
// SAML assertion ids are refused a second time, across replicas too.
var ssoFlowTests = []test{
	{name: "sso flow is consumed once, on any replica", fn: func(e *env) {
		c := e.connection(e.tenant(), false)
		replica := newStore(e.b, e.clock)
		key := "saml:id-" + rnd()
		e.ok(e.s.SaveSSOFlow(e.ctx, key, c.ID, json.RawMessage(`{"relay":"r1"}`), 10*time.Minute), "save")
		f, err := replica.ConsumeSSOFlow(e.ctx, key)
		e.ok(err, "consume on the other replica")
		if f.ConnectionID != c.ID || string(f.Data) != `{"relay":"r1"}` || !f.ExpiresAt.Equal(e.clock.Now().Add(10*time.Minute)) {
			e.Errorf("flow = %+v", f)
		}
		_, err = e.s.ConsumeSSOFlow(e.ctx, key)
		e.wantNotFound(err, "second consume")
		_, err = e.s.ConsumeSSOFlow(e.ctx, "saml:never-saved")
		e.wantNotFound(err, "unknown key")
	}},
	{name: "sso flow expires", fn: func(e *env) {
		c := e.connection(e.tenant(), false)
		key := "oidc:" + rnd()
		e.ok(e.s.SaveSSOFlow(e.ctx, key, c.ID, nil, time.Minute), "save")
		e.clock.Advance(2 * time.Minute)
		_, err := e.s.ConsumeSSOFlow(e.ctx, key)
		e.wantNotFound(err, "expired flow")
	}},
	{name: "sso flow key is unique", fn: func(e *env) {
		c := e.connection(e.tenant(), false)
		key := "saml:id-" + rnd()
		e.ok(e.s.SaveSSOFlow(e.ctx, key, c.ID, nil, time.Minute), "save")
		e.wantIs(e.s.SaveSSOFlow(e.ctx, key, c.ID, nil, time.Minute), store.ErrConflict, "same key again")
	}},
	{name: "sso flow consumed by one of two racing replicas", fn: func(e *env) {
		c := e.connection(e.tenant(), false)
		key := "saml:id-" + rnd()
		e.ok(e.s.SaveSSOFlow(e.ctx, key, c.ID, nil, time.Minute), "save")
		a, b := newStore(e.b, e.clock), newStore(e.b, e.clock)
		errs := race(
			func() error { _, err := a.ConsumeSSOFlow(e.ctx, key); return err },
			func() error { _, err := b.ConsumeSSOFlow(e.ctx, key); return err })
		if won := countNil(errs); won != 1 {
			e.Fatalf("%d consumers got the flow (errors %v), want 1", won, errs)
		}
		for _, err := range errs {
			if err != nil {
				e.wantNotFound(err, "losing consumer")
			}
		}
	}},
	{name: "assertion id is accepted once, across replicas", fn: func(e *env) {
		tn := e.tenant()
		c, other := e.connection(tn, false), e.connection(tn, false)
		id := "_a" + rnd()
		until := e.clock.Now().Add(5 * time.Minute)
		e.ok(e.s.UseAssertionID(e.ctx, c.ID, id, until), "first use")
		e.wantIs(e.s.UseAssertionID(e.ctx, c.ID, id, until), store.ErrReplay, "second use")
		e.wantIs(newStore(e.b, e.clock).UseAssertionID(e.ctx, c.ID, id, until), store.ErrReplay, "second use on another replica")
		e.ok(e.s.UseAssertionID(e.ctx, other.ID, id, until), "same id at another connection")
	}},
	{name: "assertion id raced by two replicas", fn: func(e *env) {
		c := e.connection(e.tenant(), false)
		id := "_a" + rnd()
		until := e.clock.Now().Add(5 * time.Minute)
		a, b := newStore(e.b, e.clock), newStore(e.b, e.clock)
		errs := race(
			func() error { return a.UseAssertionID(e.ctx, c.ID, id, until) },
			func() error { return b.UseAssertionID(e.ctx, c.ID, id, until) })
		if countNil(errs) != 1 {
			e.Fatalf("errors %v, want exactly one success", errs)
		}
		for _, err := range errs {
			if err != nil {
				e.wantIs(err, store.ErrReplay, "losing replica")
			}
		}
	}},
	{name: "purge removes expired sso rows only", fn: func(e *env) {
		c := e.connection(e.tenant(), false)
		old, fresh := "saml:old-"+rnd(), "saml:fresh-"+rnd()
		e.ok(e.s.SaveSSOFlow(e.ctx, old, c.ID, nil, time.Minute), "save old")
		e.ok(e.s.UseAssertionID(e.ctx, c.ID, "_old"+rnd(), e.clock.Now().Add(time.Minute)), "use old")
		e.clock.Advance(2 * time.Minute)
		e.ok(e.s.SaveSSOFlow(e.ctx, fresh, c.ID, nil, time.Minute), "save fresh")
		n, err := e.s.PurgeSSO(e.ctx)
		e.ok(err, "purge")
		if n < 2 {
			e.Errorf("purged %d rows, want at least 2", n)
		}
		_, err = e.s.ConsumeSSOFlow(e.ctx, fresh)
		e.ok(err, "fresh flow survives the purge")
	},
		// Purging is service-wide: run decades before the other subtests'
		// flows, so it never removes one of theirs that they still use.
		epoch: time.Date(2003, 5, 6, 7, 0, 0, 0, time.UTC)},
}

func countNil(errs []error) int {
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}
