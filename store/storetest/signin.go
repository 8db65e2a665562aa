package storetest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

var signInTests = []test{
	{name: "rule09_invitations", fn: testRule9},
	{name: "invitation_link_single_use_and_expiring", fn: testInvitationLink},
	{name: "rule10_lockout_and_reset_link", fn: testRule10Lockout},
	{name: "rule10_change_password", fn: testChangePassword},
	{name: "rule10_support_unlock", fn: testUnlock},
	{name: "rule11_password_sign_in_and_sso", fn: testRule11},
	{name: "password_sign_in_scoped_to_org", fn: testSignInOrg},
	{name: "password_sign_in_answers_hide_accounts", fn: testSignInAnswersHideAccounts},
}

func testRule9(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID)
	got := must(e.s.Invite(e.ctx, tn.Actor, tn.ID, m.Account.ID))(e)
	if got.Status() != store.StatusPending {
		e.Errorf("status after Invite = %s", got.Status())
	}
	msg := e.lastMail(m.Account.Email, "invitation")
	if msg.OrgID != tn.ID || msg.Subject == "" || !e.clockEqual(msg.NextAttempt) {
		e.Errorf("invitation message = %+v", msg)
	}
	if a := e.auditOf(tn.ID)[0]; a.Action != "member.invite" || a.TargetID != m.Account.ID {
		e.Errorf("audit = %+v, want member.invite", a)
	}
	// A resend replaces the link: the first one stops working.
	first := e.invitationSecret(m.Account.Email)
	e.clock.Advance(time.Minute)
	must(e.s.Invite(e.ctx, tn.Actor, tn.ID, m.Account.ID))(e)
	second := e.invitationSecret(m.Account.Email)
	pw := password()
	_, err := e.s.AcceptInvitation(e.ctx, first, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "the first link after a resend")
	// Created with Invite in an org with SSO: no invitation, no error.
	sso := e.tenant()
	e.enableSSO(sso)
	created := must(e.s.CreateMember(e.ctx, sso.Actor, sso.ID, store.NewMember{Email: email("sso"), Invite: true}))(e)
	if created.Membership.InvitedAt != nil || len(e.mails(created.Account.Email)) != 0 {
		e.Errorf("a member created with Invite in an SSO org was invited")
	}
	before := e.snap([]string{sso.ID, tn.ID}, created.Account.ID, m.Account.ID)
	_, err = e.s.Invite(e.ctx, sso.Actor, sso.ID, created.Account.ID)
	e.wantRule(err, store.RuleInvitations, "Invite in an SSO org")
	e.wantDetail(err, "SSO")
	_, err = e.s.Invite(e.ctx, other.Actor, tn.ID, m.Account.ID)
	e.wantNotFound(err, "Invite by another org's admin")
	scimOther, _ := e.scim(other)
	_, err = e.s.Invite(e.ctx, scimOther, tn.ID, m.Account.ID)
	e.wantNotFound(err, "Invite by another org's IdP")
	e.unchanged(before, "refused invitations")
	// An active account needs no invitation.
	must(e.s.AcceptInvitation(e.ctx, second, pw, pw))(e)
	before = e.snap([]string{tn.ID}, m.Account.ID)
	_, err = e.s.Invite(e.ctx, tn.Actor, tn.ID, m.Account.ID)
	e.wantRule(err, store.RuleInvitations, "Invite an active account")
	e.unchanged(before, "Invite an active account")
}

// clockEqual reports whether t is the clock's time as stored.
func (e *env) clockEqual(t time.Time) bool { return t.Equal(e.clock.Now().Truncate(time.Microsecond)) }

func testInvitationLink(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
	if m.Status() != store.StatusPending {
		e.Errorf("CreateMember with Invite: status %s, want pending", m.Status())
	}
	link := e.invitationSecret(m.Account.Email)
	pw := password()
	_, err := e.s.AcceptInvitation(e.ctx, link, pw, pw+"x")
	e.wantInvalid(err, "passwords that differ")
	_, err = e.s.AcceptInvitation(e.ctx, link, "short", "short")
	e.wantInvalid(err, "a short password")
	_, err = e.s.ResetPassword(e.ctx, link, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "an invitation used as a reset link")
	acc := must(e.s.AcceptInvitation(e.ctx, link, pw, pw))(e)
	if acc.ActivatedAt == nil {
		e.Errorf("accepting did not activate")
	}
	_, err = e.s.AcceptInvitation(e.ctx, link, pw+"2", pw+"2")
	e.wantIs(err, store.ErrLinkInvalid, "the same link twice")
	if _, err := e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw); err != nil {
		e.Errorf("the first password stopped working after a reused link: %v", err)
	}
	_, err = e.s.AcceptInvitation(e.ctx, "inv_"+rnd(), pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "an unknown link")

	// Links expire: 7 days by default.
	late := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
	link = e.invitationSecret(late.Account.Email)
	e.clock.Advance(7*24*time.Hour + time.Second)
	before := e.snap([]string{tn.ID}, late.Account.ID)
	_, err = e.s.AcceptInvitation(e.ctx, link, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "an expired invitation")
	e.unchanged(before, "an expired invitation")
	// A fresh one works just before it expires.
	must(e.s.Invite(e.ctx, tn.Actor, tn.ID, late.Account.ID))(e)
	link = e.invitationSecret(late.Account.Email)
	e.clock.Advance(7*24*time.Hour - time.Second)
	must(e.s.AcceptInvitation(e.ctx, link, pw, pw))(e)

	// A link of a member disabled meanwhile does not work; another org's admin cannot use it either way.
	d := e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
	link = e.invitationSecret(d.Account.Email)
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, d.Account.ID, change(store.MembershipChange{Disabled: new(true)})))(e)
	_, err = e.s.AcceptInvitation(e.ctx, link, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "invitation of a disabled member")
	if st := must(e.s.GetMember(e.ctx, tn.ID, d.Account.ID))(e).Status(); st != store.StatusDisabled {
		e.Errorf("status = %s, want disabled", st)
	}
	_, err = e.s.GetMember(e.ctx, other.ID, d.Account.ID)
	e.wantNotFound(err, "another org reading the invited member")
}

func testRule10Lockout(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	addr := m.Account.Email
	// Failures in a row, not in total: a success resets the counter.
	for range store.MaxFailedAttempts - 1 {
		_, err := e.s.PasswordSignIn(e.ctx, tn.ID, addr, "wrong-password")
		e.wantIs(err, store.ErrBadCredentials, "wrong password")
	}
	if acc := must(e.s.PasswordSignIn(e.ctx, tn.ID, addr, pw))(e); acc.FailedAttempts != 0 {
		e.Errorf("FailedAttempts after a success = %d", acc.FailedAttempts)
	}
	for i := range store.MaxFailedAttempts {
		_, err := e.s.PasswordSignIn(e.ctx, tn.ID, addr, "wrong-password")
		if i+1 < store.MaxFailedAttempts {
			e.wantIs(err, store.ErrBadCredentials, "wrong password")
		} else {
			e.wantRule(err, store.RuleLockout, "the failure that locks")
		}
		if acc := must(e.s.GetAccount(e.ctx, m.Account.ID))(e); acc.FailedAttempts != i+1 || (acc.LockedAt != nil) != (i+1 == store.MaxFailedAttempts) {
			e.Errorf("after %d failures: FailedAttempts %d, locked %v", i+1, acc.FailedAttempts, acc.LockedAt != nil)
		}
	}
	before := e.snap([]string{tn.ID}, m.Account.ID)
	_, err := e.s.PasswordSignIn(e.ctx, tn.ID, addr, pw)
	e.wantRule(err, store.RuleLockout, "the right password on a locked account")
	e.wantDetail(err, "forgot password")
	e.unchanged(before, "sign-in on a locked account")
	if n := len(e.auditWhere(func(x store.AuditEntry) bool { return x.TargetID == m.Account.ID && x.Action == "account.lock" })); n != 1 {
		e.Errorf("account.lock audited %d times, want 1", n)
	}
	// A session started before the reset (in an org where it is valid).
	oldSession, _, err := e.s.CreateSession(e.ctx, tn.ID, m.Account.ID, "", store.DefaultSessionLimits)
	e.ok(err, "CreateSession")
	// The reset link opens it.
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, addr), "RequestPasswordReset")
	msg := e.lastMail(addr, "password_reset")
	link := e.linkSecret(msg, "/password/reset")
	_, err = e.s.AcceptInvitation(e.ctx, link, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "a reset link used as an invitation")
	newPW := password()
	acc := must(e.s.ResetPassword(e.ctx, link, newPW, newPW))(e)
	if acc.LockedAt != nil || acc.FailedAttempts != 0 || acc.ActivatedAt == nil {
		e.Errorf("account after reset = %+v, want unlocked, counter 0, activated", acc)
	}
	_, err = e.s.CheckSession(e.ctx, oldSession, store.DefaultSessionLimits)
	e.wantIs(err, store.ErrSessionExpired, "a session from before the reset")
	must(e.s.PasswordSignIn(e.ctx, tn.ID, addr, newPW))(e)
	_, err = e.s.PasswordSignIn(e.ctx, tn.ID, addr, pw)
	e.wantIs(err, store.ErrBadCredentials, "the old password after a reset")
	_, err = e.s.ResetPassword(e.ctx, link, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "a reset link twice")
	// Reset links are short-lived (30 minutes) and a new request replaces the old link.
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, addr), "RequestPasswordReset")
	stale := e.resetSecret(addr)
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, addr), "RequestPasswordReset")
	_, err = e.s.ResetPassword(e.ctx, stale, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "a replaced reset link")
	link = e.resetSecret(addr)
	e.clock.Advance(30*time.Minute + time.Second)
	_, err = e.s.ResetPassword(e.ctx, link, pw, pw)
	e.wantIs(err, store.ErrLinkInvalid, "an expired reset link")
	// An unknown address answers the same and sends nothing.
	unknown := email("nobody")
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, unknown), "RequestPasswordReset(unknown)")
	if n := len(e.mails(unknown)); n != 0 {
		e.Errorf("%d mails to an unknown address", n)
	}
	// Another org's failures are the same account's failures, but another org cannot read it.
	_, err = e.s.GetMember(e.ctx, other.ID, m.Account.ID)
	e.wantNotFound(err, "another org")
}

func testChangePassword(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	newPW := password()
	before := e.snap([]string{tn.ID}, m.Account.ID)
	e.wantIs(e.s.ChangePassword(e.ctx, m.Account.ID, nil, "wrong-current", newPW, newPW), store.ErrUnauthenticated, "wrong current password")
	e.wantInvalid(e.s.ChangePassword(e.ctx, m.Account.ID, nil, pw, newPW, newPW+"x"), "new passwords that differ")
	e.wantInvalid(e.s.ChangePassword(e.ctx, m.Account.ID, nil, pw, "short", "short"), "a short new password")
	e.wantNotFound(e.s.ChangePassword(e.ctx, unknownID, nil, pw, newPW, newPW), "an unknown account")
	e.unchanged(before, "refused password changes")
	e.ok(e.s.ChangePassword(e.ctx, m.Account.ID, nil, pw, newPW, newPW), "ChangePassword")
	must(e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, newPW))(e)
	_, err := e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw)
	e.wantIs(err, store.ErrBadCredentials, "the old password")
	_, err = e.s.PasswordSignIn(e.ctx, other.ID, m.Account.Email, newPW)
	e.wantIs(err, store.ErrBadCredentials, "the right password through an org the account is not in")
}

func testUnlock(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	for range store.MaxFailedAttempts {
		_, _ = e.s.PasswordSignIn(e.ctx, "", m.Account.Email, "wrong-password")
	}
	before := e.snap([]string{tn.ID}, m.Account.ID)
	for _, actor := range []store.Actor{tn.Actor, other.Actor, store.SelfActor(m.Account.ID)} {
		_, err := e.s.UnlockAccount(e.ctx, actor, m.Account.ID)
		e.wantIs(err, store.ErrForbidden, "UnlockAccount by "+string(actor.Kind))
	}
	e.unchanged(before, "refused unlocks")
	acc := must(e.s.UnlockAccount(e.ctx, support, m.Account.ID))(e)
	if acc.LockedAt != nil || acc.FailedAttempts != 0 {
		e.Errorf("after unlock: %+v", acc)
	}
	must(e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw))(e)
}

func testRule11(e *env) {
	tn := e.tenant()
	plain := e.tenant()
	pw := password()
	only := e.member(tn.ID, withPassword(pw))
	both := e.member(tn.ID, withPassword(pw))
	e.member(plain.ID, withEmail(both.Account.Email))
	noPW := e.member(tn.ID)
	e.enableSSO(tn)
	before := e.snap([]string{tn.ID}, only.Account.ID)
	_, err := e.s.PasswordSignIn(e.ctx, tn.ID, only.Account.Email, pw)
	e.wantRule(err, store.RulePasswordSignIn, "password sign-in when every org uses SSO")
	e.wantDetail(err, "SSO")
	e.unchanged(before, "refused password sign-in")
	// An account with one org still on passwords signs in there.
	must(e.s.PasswordSignIn(e.ctx, plain.ID, both.Account.Email, pw))(e)
	// SSO off: passwords again; those without one get "forgot password".
	must(e.s.DisableSSO(e.ctx, tn.Actor, tn.ID))(e)
	must(e.s.PasswordSignIn(e.ctx, tn.ID, only.Account.Email, pw))(e)
	_, err = e.s.PasswordSignIn(e.ctx, tn.ID, noPW.Account.Email, "")
	e.wantIs(err, store.ErrBadCredentials, "an account that never set a password, empty password")
	_, err = e.s.PasswordSignIn(e.ctx, tn.ID, noPW.Account.Email, "anything-at-all")
	e.wantIs(err, store.ErrBadCredentials, "an account that never set a password")
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, noPW.Account.Email), "forgot password")
	newPW := password()
	must(e.s.ResetPassword(e.ctx, e.resetSecret(noPW.Account.Email), newPW, newPW))(e)
	must(e.s.PasswordSignIn(e.ctx, tn.ID, noPW.Account.Email, newPW))(e)
	// A password pushed by the IdP of an SSO org is not stored.
	e.enableSSO(plain)
	scim, _ := e.scim(plain)
	pushed := must(e.s.CreateMember(e.ctx, scim, plain.ID, store.NewMember{Email: email("pushed"), Password: pw}))(e)
	if pushed.Account.PasswordHash != "" {
		e.Errorf("an SSO org's IdP set a password")
	}
}

func testSignInOrg(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	if _, err := e.s.PasswordSignIn(e.ctx, "", "  "+m.Account.Email+" ", pw); err != nil {
		e.Errorf("sign-in without an org: %v", err)
	}
	_, err := e.s.PasswordSignIn(e.ctx, other.ID, m.Account.Email, pw)
	e.wantIs(err, store.ErrBadCredentials, "sign-in through an org the account is not in")
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, change(store.MembershipChange{Disabled: new(true)})))(e)
	_, err = e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw)
	e.wantIs(err, store.ErrBadCredentials, "sign-in of a disabled member")
	_, err = e.s.PasswordSignIn(e.ctx, tn.ID, email("nobody"), pw)
	e.wantIs(err, store.ErrBadCredentials, "an unknown email")
	if d := must(e.s.GetMemberDetails(e.ctx, tn.ID, m.Account.ID))(e); len(d.SignIns) != 0 {
		e.Errorf("refused sign-ins were recorded: %+v", d.SignIns)
	}
}

// testSignInAnswersHideAccounts: until a password is proven, an email
// without an account, an account with a password, one without (SSO only)
// and one whose orgs all sign in through SSO get the same answers, attempt
// after attempt, lockout included; that the org signs in through SSO is said
// only to the right password.
func testSignInAnswersHideAccounts(e *env) {
	tn := e.tenant()
	pw := password()
	type people struct{ ssoPW, noPW, fresh store.Member }
	byOrg := map[string]people{}
	for _, orgID := range []string{tn.ID, ""} {
		byOrg[orgID] = people{e.member(tn.ID, withPassword(pw)), e.member(tn.ID), e.member(tn.ID, withPassword(pw))}
	}
	e.enableSSO(tn)
	answers := func(orgID, addr string) []string {
		var out []string
		for range store.MaxFailedAttempts + 2 {
			_, err := e.s.PasswordSignIn(e.ctx, orgID, addr, "wrong-password")
			out = append(out, fmt.Sprint(err))
		}
		return out
	}
	for orgID, p := range byOrg {
		want := answers(orgID, email("nobody"))
		if last := want[len(want)-1]; want[0] != store.ErrBadCredentials.Error() || want[store.MaxFailedAttempts-1] != last || !strings.Contains(last, "locked") {
			e.Errorf("answers to an unknown email: %q, want wrong password, then the lockout from the fifth", want)
		}
		for name, addr := range map[string]string{"an SSO account with a password": p.ssoPW.Account.Email, "an account without a password": p.noPW.Account.Email} {
			if got := answers(orgID, addr); !slices.Equal(got, want) {
				e.Errorf("org %q: %s answers\n%q\nwant, as for an unknown email,\n%q", orgID, name, got, want)
			}
		}
		// The right password after the lockout: still the lockout.
		_, err := e.s.PasswordSignIn(e.ctx, orgID, p.ssoPW.Account.Email, pw)
		if fmt.Sprint(err) != want[len(want)-1] {
			e.Errorf("the right password of a locked SSO account: %v, want %q", err, want[len(want)-1])
		}
		// Proven: now the person learns where to sign in.
		before := e.snap([]string{tn.ID}, p.fresh.Account.ID)
		_, err = e.s.PasswordSignIn(e.ctx, orgID, p.fresh.Account.Email, pw)
		e.wantRule(err, store.RulePasswordSignIn, "the right password, every org on SSO")
		e.wantDetail(err, tn.Name+" signs in through SSO")
		e.unchanged(before, "a proven password refused by rule 11")
	}
}
