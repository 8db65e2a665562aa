package storetest

import (
	"bytes"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

var sessionTests = []test{
	{name: "session_create_check_end", fn: testSession},
	{name: "rule13_disable_or_remove_ends_sessions", fn: testRule13},
}

func testSession(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID)
	lim := store.SessionLimits{Idle: 30 * time.Minute, Absolute: time.Hour}
	conn := e.connection(tn, true)
	cookie, sess := must3(e.s.CreateSession(e.ctx, tn.ID, m.Account.ID, conn.ID, lim))(e)
	if !strings.HasPrefix(cookie, "ses_") || !bytes.Equal(sess.Hash, store.HashSecret(cookie)) || sess.OrgID != tn.ID || sess.ConnectionID != conn.ID ||
		sess.AccountID != m.Account.ID || !sess.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		e.Errorf("CreateSession = %q, %+v", cookie, sess)
	}
	got := must(e.s.CheckSession(e.ctx, cookie, lim))(e)
	e.same("CheckSession", got, sess)
	// Activity slides the idle timeout, not the absolute one.
	e.clock.Advance(20 * time.Minute)
	if got := must(e.s.CheckSession(e.ctx, cookie, lim))(e); !e.clockEqual(got.LastSeenAt) {
		e.Errorf("LastSeenAt = %v, want now", got.LastSeenAt)
	}
	e.clock.Advance(20 * time.Minute)
	must(e.s.CheckSession(e.ctx, cookie, lim))(e)
	e.clock.Advance(21 * time.Minute)
	_, err := e.s.CheckSession(e.ctx, cookie, lim)
	e.wantIs(err, store.ErrSessionExpired, "a session past its absolute timeout")
	// Idle.
	cookie, _ = must3(e.s.CreateSession(e.ctx, tn.ID, m.Account.ID, "", lim))(e)
	e.clock.Advance(30 * time.Minute)
	_, err = e.s.CheckSession(e.ctx, cookie, lim)
	e.wantIs(err, store.ErrSessionExpired, "an idle session")
	// Sign-out.
	cookie, _ = must3(e.s.CreateSession(e.ctx, tn.ID, m.Account.ID, "", lim))(e)
	e.ok(e.s.EndSession(e.ctx, cookie), "EndSession")
	_, err = e.s.CheckSession(e.ctx, cookie, lim)
	e.wantIs(err, store.ErrSessionExpired, "a signed-out session")
	e.ok(e.s.EndSession(e.ctx, cookie), "EndSession twice")
	_, err = e.s.CheckSession(e.ctx, "ses_"+rnd(), lim)
	e.wantIs(err, store.ErrSessionExpired, "an unknown cookie")
	// Only enabled members of the org.
	_, _, err = e.s.CreateSession(e.ctx, other.ID, m.Account.ID, "", lim)
	e.wantNotFound(err, "a session in an org the account is not in")
	d := e.member(tn.ID, func(n *store.NewMember) { n.Disabled = true })
	_, _, err = e.s.CreateSession(e.ctx, tn.ID, d.Account.ID, "", lim)
	e.wantIs(err, store.ErrForbidden, "a session of a disabled member")
}

func testRule13(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID)
	e.member(other.ID, withEmail(m.Account.Email))
	lim := store.DefaultSessionLimits
	startFor := func(orgID, accountID string) string {
		e.Helper()
		c, _ := must3(e.s.CreateSession(e.ctx, orgID, accountID, "", lim))(e)
		return c
	}
	start := func(orgID string) string { return startFor(orgID, m.Account.ID) }
	live := func(cookie string) bool {
		_, err := e.s.CheckSession(e.ctx, cookie, lim)
		return err == nil
	}
	here1, here2, there := start(tn.ID), start(tn.ID), start(other.ID)
	admin := startFor(tn.ID, tn.Admin.Account.ID)
	// Another org's admin cannot end them.
	_, err := e.s.UpdateMember(e.ctx, other.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(true)}))
	e.wantNotFound(err, "another org's admin disabling")
	if !live(here1) || !live(here2) || !live(there) {
		e.Fatalf("a refused disable ended sessions")
	}
	// Disabling by the admin ends every session in this org at once, none elsewhere.
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(true)})))(e)
	if live(here1) || live(here2) {
		e.Errorf("sessions in the org survived disabling")
	}
	if !live(there) {
		e.Errorf("a session in another org ended")
	}
	// Re-enabled: new sessions; the IdP's active=false ends them too.
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(false)})))(e)
	here1 = start(tn.ID)
	scim, _ := e.scim(tn)
	must(e.s.UpdateMember(e.ctx, scim, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(true)})))(e)
	if live(here1) {
		e.Errorf("a session survived the IdP's deactivation")
	}
	must(e.s.UpdateMember(e.ctx, scim, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(false)})))(e)
	// Removal ends them too.
	here1 = start(tn.ID)
	e.ok(e.s.RemoveMember(e.ctx, scim, tn.ID, m.Account.ID), "RemoveMember")
	if live(here1) {
		e.Errorf("a session survived removal")
	}
	if !live(there) {
		e.Errorf("a session in another org ended on removal")
	}
	// An admin's own sessions are untouched by changes to others.
	if !live(admin) {
		e.Errorf("an unrelated session ended")
	}
}
