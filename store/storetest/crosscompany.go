package storetest

import (
	"time"

	"github.com/idbridge/idbridge/store"
)

// Credentials across companies (docs/security-model.md): what one company's
// IdP or admin set on an account never opens an org of another company.
var crossCompanyTests = []test{
	{name: "cross_company/create_with_password", fn: testPreHijackCreate},
	{name: "cross_company/rename_then_password", fn: testPreHijackRename},
	{name: "cross_company/sso_toggled_off", fn: testPreHijackSSOToggle},
	{name: "cross_company/own_password_kept", fn: testOwnPasswordKept},
	{name: "cross_company/jit_join", fn: testPreHijackJIT},
	{name: "sessions/password_events_end_others", fn: testPasswordEventsEndSessions},
}

var sessionLimits = store.SessionLimits{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}

// signsIn reports whether the password signs the email in to the org.
func (e *env) signsIn(orgID, addr, pw string) bool {
	e.Helper()
	_, err := e.s.PasswordSignIn(e.ctx, orgID, addr, pw)
	return err == nil
}

// passwordHash is the account's stored password hash ("" when none).
func (e *env) passwordHash(accountID string) string {
	e.Helper()
	return must(e.s.GetAccount(e.ctx, accountID))(e).PasswordHash
}

// victimAndAttacker: org A (company Acme) with its verified domain, org B of
// another company (Beta) and B's SCIM token.
func (e *env) victimAndAttacker() (a, b tenant, bSCIM store.Actor) {
	e.Helper()
	a, b = e.tenant(), e.tenant()
	bSCIM, _ = e.scim(b)
	return a, b, bSCIM
}

// inDomain is a new address in the org's first verified domain.
func inDomain(o store.Org, tag string) string { return tag + "-" + rnd() + "@" + o.Domains[0] }

func testPreHijackCreate(e *env) {
	a, b, bSCIM := e.victimAndAttacker()
	const pw = "attacker-password-1"

	// B's IdP creates an address of A's verified domain with a password:
	// the member is created, the password is not set.
	victim := inDomain(a.Org, "victim")
	m := must(e.s.CreateMember(e.ctx, bSCIM, b.ID, store.NewMember{Email: victim, Password: pw}))(e)
	if e.passwordHash(m.Account.ID) != "" || e.signsIn(b.ID, victim, pw) {
		e.Errorf("B's IdP set a password on an address of A's verified domain")
	}
	// Nor later, through a PATCH.
	e.ok(e.s.UpdateSCIMUser(e.ctx, bSCIM, b.ID, m.Account.ID, store.SCIMUserChange{Password: pw}), "SCIM password")
	if e.passwordHash(m.Account.ID) != "" {
		e.Errorf("B's IdP set a password on an address of A's verified domain through an update")
	}

	// An address in no verified domain: B's IdP may set it, for B only.
	loose := email("consultant")
	m2 := must(e.s.CreateMember(e.ctx, bSCIM, b.ID, store.NewMember{Email: loose, Password: pw}))(e)
	if !e.signsIn(b.ID, loose, pw) {
		e.Fatalf("B's IdP password does not sign in to B")
	}
	// A adds the same person (rule 14: the same account): the password B's
	// IdP set is gone, and nothing B set opens A, as a system admin either.
	joined := must(e.s.CreateMember(e.ctx, a.Actor, a.ID, store.NewMember{Email: loose, UserType: store.UserTypeSystemAdmin}))(e)
	if joined.Account.ID != m2.Account.ID {
		e.Fatalf("rule 14: a second account was created")
	}
	if e.signsIn(a.ID, loose, pw) || e.passwordHash(m2.Account.ID) != "" {
		e.Errorf("B's IdP password signs in to A after A added the account")
	}
	if len(e.auditWhere(func(l store.AuditEntry) bool {
		return l.Action == "account.password_cleared" && l.TargetID == m2.Account.ID && l.OrgID == a.ID
	})) != 1 {
		e.Errorf("no account.password_cleared audit entry in A")
	}
	// The person gets in through A's invitation, mailed to the address.
	must(e.s.Invite(e.ctx, a.Actor, a.ID, m2.Account.ID))(e)
	own := password()
	must(e.s.AcceptInvitation(e.ctx, e.invitationSecret(loose), own, own))(e)
	if !e.signsIn(a.ID, loose, own) || !e.signsIn(b.ID, loose, own) {
		e.Errorf("the person's own password does not sign in")
	}
}

func testPreHijackRename(e *env) {
	a, b, bSCIM := e.victimAndAttacker()

	// The attacker is a B member with a password of their own, set from a link.
	attacker := e.member(b.ID)
	e.ok(e.s.RequestPasswordReset(e.ctx, b.ID, attacker.Account.Email), "reset request")
	own := password()
	must(e.s.ResetPassword(e.ctx, e.resetSecret(attacker.Account.Email), own, own))(e)
	e.ok(e.s.RequestPasswordReset(e.ctx, b.ID, attacker.Account.Email), "reset request")
	late := e.resetSecret(attacker.Account.Email) // a link kept for later

	// B's IdP renames them into an address of no verified domain, then of A's.
	loose := email("victim")
	e.ok(e.s.UpdateSCIMUser(e.ctx, bSCIM, b.ID, attacker.Account.ID, store.SCIMUserChange{Email: loose}), "rename")
	if _, err := e.s.ResetPassword(e.ctx, late, own, own); err == nil {
		e.Errorf("a reset link mailed to the old address works after the email change")
	}
	// A adds that address: the password the attacker set, now vouched for
	// only by B, is gone.
	must(e.s.CreateMember(e.ctx, a.Actor, a.ID, store.NewMember{Email: loose}))(e)
	if e.signsIn(a.ID, loose, own) {
		e.Errorf("a password set before B renamed the account into the address signs in to A")
	}
	// The account was activated, but has no password left: A can invite the person.
	must(e.s.Invite(e.ctx, a.Actor, a.ID, attacker.Account.ID))(e)
	mine := password()
	must(e.s.AcceptInvitation(e.ctx, e.invitationSecret(loose), mine, mine))(e)
	if !e.signsIn(a.ID, loose, mine) {
		e.Errorf("the invitation's password does not sign in to A")
	}

	// Rename into A's verified domain, then a SCIM password: never set.
	other := e.member(b.ID)
	victim := inDomain(a.Org, "victim")
	e.ok(e.s.UpdateSCIMUser(e.ctx, bSCIM, b.ID, other.Account.ID, store.SCIMUserChange{Email: victim}), "rename")
	e.ok(e.s.UpdateSCIMUser(e.ctx, bSCIM, b.ID, other.Account.ID, store.SCIMUserChange{Password: "attacker-password-2"}), "password")
	if e.passwordHash(other.Account.ID) != "" {
		e.Errorf("B's IdP set a password after renaming into A's domain")
	}
	// An invitation B sent before the rename is void too.
	third := e.member(b.ID)
	must(e.s.Invite(e.ctx, b.Actor, b.ID, third.Account.ID))(e)
	inv := e.invitationSecret(third.Account.Email)
	e.ok(e.s.UpdateSCIMUser(e.ctx, bSCIM, b.ID, third.Account.ID, store.SCIMUserChange{Email: email("moved")}), "rename")
	if _, err := e.s.AcceptInvitation(e.ctx, inv, own, own); err == nil {
		e.Errorf("an invitation mailed to the old address works after the email change")
	}
}

func testPreHijackSSOToggle(e *env) {
	a, b, bSCIM := e.victimAndAttacker()
	const pw = "attacker-password-3"
	loose := email("victim")
	must(e.s.CreateMember(e.ctx, bSCIM, b.ID, store.NewMember{Email: loose, Password: pw}))(e)
	// A signs in through SSO when it adds the account, and turns SSO off later.
	e.enableSSO(a)
	must(e.s.CreateMember(e.ctx, a.Actor, a.ID, store.NewMember{Email: loose}))(e)
	must(e.s.DisableSSO(e.ctx, a.Actor, a.ID))(e)
	if e.signsIn(a.ID, loose, pw) {
		e.Errorf("B's IdP password signs in to A once A turned SSO off")
	}
	// B's IdP toggling its own SSO changes nothing either.
	e.enableSSO(b)
	must(e.s.DisableSSO(e.ctx, b.Actor, b.ID))(e)
	acc := must(e.s.AccountByEmail(e.ctx, loose))(e)
	e.ok(e.s.UpdateSCIMUser(e.ctx, bSCIM, b.ID, acc.ID, store.SCIMUserChange{Password: pw}), "password")
	if e.signsIn(a.ID, loose, pw) {
		e.Errorf("B's IdP set a password on an account that belongs to A")
	}
}

// A password the person set from a link (their mailbox) stays when the
// account joins another company's org: a consultant keeps signing in.
func testOwnPasswordKept(e *env) {
	a, b, _ := e.victimAndAttacker()
	m := e.member(b.ID)
	e.ok(e.s.RequestPasswordReset(e.ctx, b.ID, m.Account.Email), "reset request")
	own := password()
	must(e.s.ResetPassword(e.ctx, e.resetSecret(m.Account.Email), own, own))(e)
	must(e.s.CreateMember(e.ctx, a.Actor, a.ID, store.NewMember{Email: m.Account.Email}))(e)
	if !e.signsIn(a.ID, m.Account.Email, own) {
		e.Errorf("the person's own password was cleared on joining another company's org")
	}
	// The same company's org keeps an IdP password too.
	bSCIM, _ := e.scim(b)
	sister := e.tenantIn(b.CompanyID)
	loose := email("staff")
	must(e.s.CreateMember(e.ctx, bSCIM, b.ID, store.NewMember{Email: loose, Password: "company-password-1"}))(e)
	must(e.s.CreateMember(e.ctx, sister.Actor, sister.ID, store.NewMember{Email: loose}))(e)
	if !e.signsIn(sister.ID, loose, "company-password-1") {
		e.Errorf("an IdP password was cleared on joining an org of the same company")
	}
}

// A's SSO adds the account just in time: B's password is cleared as well.
func testPreHijackJIT(e *env) {
	a, b, bSCIM := e.victimAndAttacker()
	victim := inDomain(a.Org, "jit")
	// B may not set a password on A's domain; give B's IdP password on an
	// account that joins A through JIT after a support email change.
	m := must(e.s.CreateMember(e.ctx, bSCIM, b.ID, store.NewMember{Email: email("pre"), Password: "attacker-password-4"}))(e)
	must(e.s.ChangeEmail(e.ctx, support, "", m.Account.ID, victim))(e)
	c := e.connection(a, true)
	acc := must(e.s.LinkSSOIdentity(e.ctx, c.ID, store.ExternalIdentity{Subject: "sub-" + rnd(), Email: victim, EmailVerified: true}, true))(e)
	if acc.ID != m.Account.ID {
		e.Fatalf("JIT made a second account")
	}
	if e.passwordHash(acc.ID) != "" || e.signsIn(a.ID, victim, "attacker-password-4") {
		e.Errorf("B's IdP password survived a JIT join to A")
	}
}

// Setting a password from a link ends every session and void older reset
// links; changing it ends every other session and the reset links.
func testPasswordEventsEndSessions(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	must(e.s.CreateMember(e.ctx, other.Actor, other.ID, store.NewMember{Email: m.Account.Email}))(e)
	session := func(orgID string) string {
		secret, _ := must3(e.s.CreateSession(e.ctx, orgID, m.Account.ID, "", sessionLimits))(e)
		return secret
	}
	alive := func(secret string) bool {
		_, err := e.s.CheckSession(e.ctx, secret, sessionLimits)
		return err == nil
	}

	// Change: the current session stays, every other one ends, reset links die.
	current, elsewhere, otherOrg := session(tn.ID), session(tn.ID), session(other.ID)
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, m.Account.Email), "reset request")
	reset := e.resetSecret(m.Account.Email)
	newPW := password()
	e.ok(e.s.ChangePassword(e.ctx, m.Account.ID, store.HashSecret(current), pw, newPW, newPW), "ChangePassword")
	if !alive(current) || alive(elsewhere) || alive(otherOrg) {
		e.Errorf("after a password change: current alive %v (want true), others alive %v %v (want false)",
			alive(current), alive(elsewhere), alive(otherOrg))
	}
	if _, err := e.s.ResetPassword(e.ctx, reset, pw, pw); err == nil {
		e.Errorf("a reset link issued before the password change still works")
	}

	// Reset: every session ends.
	s1 := session(tn.ID)
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, m.Account.Email), "reset request")
	must(e.s.ResetPassword(e.ctx, e.resetSecret(m.Account.Email), pw, pw))(e)
	if alive(s1) || alive(current) {
		e.Errorf("a session outlived a password reset")
	}

	// Invitation: accepting it ends every session (the attacker's too) and
	// the reset links issued before.
	fresh := e.member(tn.ID)
	must(e.s.CreateMember(e.ctx, other.Actor, other.ID, store.NewMember{Email: fresh.Account.Email}))(e)
	s2, _ := must3(e.s.CreateSession(e.ctx, other.ID, fresh.Account.ID, "", sessionLimits))(e)
	e.ok(e.s.RequestPasswordReset(e.ctx, other.ID, fresh.Account.Email), "reset request")
	early := e.resetSecret(fresh.Account.Email)
	must(e.s.Invite(e.ctx, tn.Actor, tn.ID, fresh.Account.ID))(e)
	must(e.s.AcceptInvitation(e.ctx, e.invitationSecret(fresh.Account.Email), pw, pw))(e)
	if _, err := e.s.CheckSession(e.ctx, s2, sessionLimits); err == nil {
		e.Errorf("a session outlived accepting an invitation")
	}
	if _, err := e.s.ResetPassword(e.ctx, early, pw, pw); err == nil {
		e.Errorf("a reset link issued before the invitation was accepted still works")
	}
}
