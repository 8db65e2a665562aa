package storetest

import (
	"errors"
	"strings"

	"github.com/idbridge/idbridge/store"
)

var emailTests = []test{
	{name: "rule01_sso_locks_email", fn: testRule1},
	{name: "rule02_email_syntax", fn: testRule2},
	{name: "rule03_other_company_needs_support", fn: testRule3},
	{name: "rule04_many_orgs_need_support", fn: testRule4},
	{name: "rule05_old_email_retired_and_notified", fn: testRule5},
}

// wantDetail fails unless err is a rule refusal whose sentence mentions word.
func (e *env) wantDetail(err error, word string) {
	e.Helper()
	var re *store.RuleError
	if errors.As(err, &re) && !strings.Contains(strings.ToLower(re.Detail), strings.ToLower(word)) {
		e.Errorf("refusal %q does not mention %q", re.Detail, word)
	}
}

func testRule1(e *env) {
	c := e.company()
	a, b := e.tenantIn(c.ID), e.tenantIn(c.ID)
	m := e.member(a.ID)
	e.member(b.ID, withEmail(m.Account.Email))
	scimA, _ := e.scim(a)
	// Without SSO the org's admin may change it.
	first := email("first")
	if got := must(e.s.ChangeEmail(e.ctx, a.Actor, a.ID, m.Account.ID, first))(e); got.Email != first {
		e.Errorf("email = %q, want %q", got.Email, first)
	}
	// SSO on the account's other org locks the email for every door.
	e.enableSSO(b)
	before := e.snap([]string{a.ID, b.ID}, m.Account.ID)
	for _, tc := range []struct {
		actor store.Actor
		org   string
	}{{a.Actor, a.ID}, {scimA, a.ID}, {b.Actor, b.ID}, {support, ""}, {support, a.ID}} {
		_, err := e.s.ChangeEmail(e.ctx, tc.actor, tc.org, m.Account.ID, email("locked"))
		e.wantRule(err, store.RuleSSOEmailLocked, "ChangeEmail by "+string(tc.actor.Kind)+" while SSO is on")
		e.wantDetail(err, "disable SSO")
	}
	other := e.tenant()
	_, err := e.s.ChangeEmail(e.ctx, other.Actor, a.ID, m.Account.ID, email("x"))
	e.wantNotFound(err, "ChangeEmail by another company's admin")
	_, err = e.s.ChangeEmail(e.ctx, other.Actor, other.ID, m.Account.ID, email("x"))
	e.wantNotFound(err, "ChangeEmail of a non-member through another org")
	e.unchanged(before, "ChangeEmail under SSO")
	// Disabling SSO unlocks it again.
	must(e.s.DisableSSO(e.ctx, b.Actor, b.ID))(e)
	second := email("second")
	if got := must(e.s.ChangeEmail(e.ctx, scimA, a.ID, m.Account.ID, second))(e); got.Email != second {
		e.Errorf("email after SSO was disabled = %q, want %q", got.Email, second)
	}
}

func testRule2(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID)
	before := e.snap([]string{tn.ID}, m.Account.ID)
	for _, bad := range []string{"élodie@example.com", "ali ce@example.com", "nobody", "Bob <bob@example.com>", "bob@localhost", "алиса@example.com", ""} {
		_, err := e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, bad)
		e.wantRule(err, store.RuleEmailSyntax, "ChangeEmail("+bad+")")
	}
	// The same address with the domain in other case is no change at all.
	at := strings.IndexByte(m.Account.Email, '@')
	same := m.Account.Email[:at] + strings.ToUpper(m.Account.Email[at:])
	if got := must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, same))(e); got.Email != m.Account.Email {
		e.Errorf("no-op change returned %q, want %q", got.Email, m.Account.Email)
	}
	_, err := e.s.ChangeEmail(e.ctx, other.Actor, tn.ID, m.Account.ID, "élodie@example.com")
	if !errors.Is(err, store.ErrNotFound) && store.RuleOf(err) != store.RuleEmailSyntax {
		e.Errorf("another org's admin with a bad email: %v, want not found or rule 2", err)
	}
	e.unchanged(before, "invalid and no-op email changes")
	good := "  Good." + rnd() + "@Example.COM "
	got := must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, good))(e)
	if want := strings.TrimSpace(good[:strings.IndexByte(good, '@')]) + "@example.com"; got.Email != want {
		e.Errorf("normalized email = %q, want %q", got.Email, want)
	}
}

func testRule3(e *env) {
	a := e.tenant()
	foreign := e.tenant() // another company
	m := e.member(a.ID)
	e.member(foreign.ID, withEmail(m.Account.Email))
	scimA, _ := e.scim(a)
	before := e.snap([]string{a.ID, foreign.ID}, m.Account.ID)
	for _, tc := range []struct {
		actor store.Actor
		org   string
	}{{a.Actor, a.ID}, {scimA, a.ID}, {foreign.Actor, foreign.ID}} {
		_, err := e.s.ChangeEmail(e.ctx, tc.actor, tc.org, m.Account.ID, email("x"))
		e.wantRule(err, store.RuleEmailOtherCompany, "ChangeEmail by "+string(tc.actor.Kind)+" of an account shared with another company")
		e.wantDetail(err, "support")
	}
	_, err := e.s.ChangeEmail(e.ctx, foreign.Actor, a.ID, m.Account.ID, email("x"))
	e.wantNotFound(err, "ChangeEmail through an org that is not the admin's")
	e.unchanged(before, "ChangeEmail across companies")
	byOps := email("support")
	if got := must(e.s.ChangeEmail(e.ctx, support, "", m.Account.ID, byOps))(e); got.Email != byOps {
		e.Errorf("support's change = %q, want %q", got.Email, byOps)
	}
	if n := len(e.auditWhere(func(x store.AuditEntry) bool {
		return x.TargetID == m.Account.ID && x.Action == "account.email_change" && x.Actor.Kind == store.ActorSupport
	})); n != 1 {
		e.Errorf("support's email change audited %d times, want 1", n)
	}
	// Orgs of one company are the admin's to change.
	sibling := e.org(a.CompanyID)
	n := e.member(a.ID)
	e.member(sibling.ID, withEmail(n.Account.Email))
	must(e.s.ChangeEmail(e.ctx, a.Actor, a.ID, n.Account.ID, email("sibling")))(e)
}

func testRule4(e *env) {
	a := e.tenant()
	m := e.member(a.ID)
	for range store.ManyOrgs - 2 {
		e.member(e.org(a.CompanyID).ID, withEmail(m.Account.Email))
	}
	scimA, _ := e.scim(a)
	// Four orgs: still the admin's.
	four := email("four")
	m.Account = must(e.s.ChangeEmail(e.ctx, a.Actor, a.ID, m.Account.ID, four))(e)
	e.member(e.org(a.CompanyID).ID, withEmail(four))
	if n := len(must(e.s.AccountOrgs(e.ctx, m.Account.ID))(e)); n != store.ManyOrgs {
		e.Fatalf("account is in %d orgs, want %d", n, store.ManyOrgs)
	}
	other := e.tenant()
	before := e.snap([]string{a.ID, other.ID}, m.Account.ID)
	for _, actor := range []store.Actor{a.Actor, scimA} {
		_, err := e.s.ChangeEmail(e.ctx, actor, a.ID, m.Account.ID, email("five"))
		e.wantRule(err, store.RuleEmailManyOrgs, "ChangeEmail by "+string(actor.Kind)+" of an account in 5 orgs")
		e.wantDetail(err, "support")
	}
	_, err := e.s.ChangeEmail(e.ctx, other.Actor, a.ID, m.Account.ID, email("five"))
	e.wantNotFound(err, "another org's admin")
	e.unchanged(before, "ChangeEmail of an account in 5 orgs")
	byOps := email("ops")
	if got := must(e.s.ChangeEmail(e.ctx, support, a.ID, m.Account.ID, byOps))(e); got.Email != byOps {
		e.Errorf("support's change = %q, want %q", got.Email, byOps)
	}
}

func testRule5(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	old := m.Account.Email
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, old), "RequestPasswordReset")
	staleReset := e.resetSecret(old)
	_, err := e.s.ChangeEmail(e.ctx, store.SelfActor(m.Account.ID), tn.ID, m.Account.ID, email("self"))
	e.wantIs(err, store.ErrForbidden, "a person changing their own sign-in email")

	mailsToOld := len(e.mails(old))
	newAddr := email("renamed")
	acc := must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, newAddr))(e)
	if acc.Email != newAddr || acc.ID != m.Account.ID {
		e.Errorf("ChangeEmail = %+v", acc)
	}
	notice := e.lastMail(old, "email_changed")
	if notice.To != old || !strings.Contains(notice.Body, old) || !strings.Contains(notice.Body, newAddr) || notice.OrgID != tn.ID || notice.SentAt != nil {
		e.Errorf("notice = %+v, want an unsent notice to the old address naming both", notice)
	}
	if got := len(e.mails(old)); got != mailsToOld+1 {
		e.Errorf("%d new mails to the old address, want 1", got-mailsToOld)
	}
	for _, msg := range e.mails(newAddr) {
		e.Errorf("unexpected %s mail to the new address", msg.Kind)
	}
	_, err = e.s.PasswordSignIn(e.ctx, "", old, pw)
	e.wantIs(err, store.ErrBadCredentials, "sign-in with the old address")
	if _, err := e.s.PasswordSignIn(e.ctx, tn.ID, strings.ToUpper(newAddr), pw); err != nil {
		e.Errorf("sign-in with the new address: %v", err)
	}
	_, err = e.s.AccountByEmail(e.ctx, old)
	e.wantNotFound(err, "AccountByEmail(old)")
	_, err = e.s.MemberByEmail(e.ctx, tn.ID, old)
	e.wantNotFound(err, "MemberByEmail(old)")
	_, err = e.s.ResetPassword(e.ctx, staleReset, pw+"x", pw+"x")
	e.wantIs(err, store.ErrLinkInvalid, "reset link sent to the old address")
	e.ok(e.s.RequestPasswordReset(e.ctx, tn.ID, old), "RequestPasswordReset(old)")
	if got := len(e.mails(old)); got != mailsToOld+1 {
		e.Errorf("a reset request for the old address sent mail")
	}
	entry := e.auditOf(tn.ID)[0]
	if entry.Action != "account.email_change" || !strings.Contains(string(entry.Before), old) || !strings.Contains(string(entry.After), newAddr) {
		e.Errorf("audit = %+v, want account.email_change from old to new", entry)
	}
	// Another org neither sees the notice's account nor can change it.
	_, err = e.s.ChangeEmail(e.ctx, other.Actor, tn.ID, m.Account.ID, email("x"))
	e.wantNotFound(err, "another org's admin")
	for _, msg := range e.mails(other.Admin.Account.Email) {
		if msg.Kind == "email_changed" {
			e.Errorf("the other org's admin got an email-change notice")
		}
	}
}
