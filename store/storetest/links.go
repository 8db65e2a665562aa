package storetest

import (
	"sync"

	"github.com/idbridge/idbridge/store"
)

// The SSO identity links of issue 4: LinkSSOIdentity and the LinkTx storage.

func init() { parallelTests = append(parallelTests, linkTests...) }

var linkTests = []test{
	{name: "sso_link_by_verified_email_then_subject", fn: testLinkByEmailThenSubject},
	{name: "sso_link_refusals", fn: testLinkRefusals},
	{name: "sso_link_jit", fn: testLinkJIT},
	{name: "sso_link_goes_with_connection_and_membership", fn: testLinkLifetime},
	{name: "sso_link_jit_race", fn: testLinkJITRace},
}

// Two first sign-ins of one new person at once: one account, one link, both in.
func testLinkJITRace(e *env) {
	tn := e.tenant()
	c := e.connection(tn, true)
	id := verified("race-1", domainEmail(tn.Org))
	const n = 4
	accs := make([]store.Account, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { accs[i], errs[i] = e.s.LinkSSOIdentity(e.ctx, c.ID, id, true) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			e.Fatalf("sign-in %d: %v", i, errs[i])
		}
		if accs[i].ID != accs[0].ID {
			e.Errorf("sign-in %d got account %s, want %s", i, accs[i].ID, accs[0].ID)
		}
	}
	if ls := must(e.s.IdentityLinks(e.ctx, tn.ID, accs[0].ID))(e); len(ls) != 1 {
		e.Errorf("links = %+v, want one", ls)
	}
}

// domainEmail is a new address in the org's first verified domain.
func domainEmail(o store.Org) string { return "p-" + rnd() + "@" + o.Domains[0] }

func verified(sub, addr string) store.ExternalIdentity {
	return store.ExternalIdentity{Subject: sub, Email: addr, EmailVerified: true}
}

func testLinkByEmailThenSubject(e *env) {
	tn := e.tenant()
	c := e.connection(tn, true)
	m := e.member(tn.ID, withEmail(domainEmail(tn.Org)))
	acc := must(e.s.LinkSSOIdentity(e.ctx, c.ID, verified("sub-1", m.Account.Email), false))(e)
	if acc.ID != m.Account.ID {
		e.Fatalf("linked account %s, want %s", acc.ID, m.Account.ID)
	}
	// Linked: the subject finds the account whatever the email now says.
	again := must(e.s.LinkSSOIdentity(e.ctx, c.ID, store.ExternalIdentity{Subject: "sub-1", Email: "other@elsewhere.example"}, false))(e)
	if again.ID != m.Account.ID {
		e.Errorf("second sign-in: account %s, want %s", again.ID, m.Account.ID)
	}
	ls := must(e.s.IdentityLinks(e.ctx, tn.ID, m.Account.ID))(e)
	if len(ls) != 1 || ls[0].Subject != "sub-1" || ls[0].ConnectionID != c.ID || ls[0].OrgID != tn.ID || !e.clockEqual(ls[0].CreatedAt) {
		e.Errorf("IdentityLinks = %+v, want one for sub-1", ls)
	}
	// Subjects compare exactly.
	_, err := e.s.LinkSSOIdentity(e.ctx, c.ID, store.ExternalIdentity{Subject: "SUB-1"}, false)
	e.wantIs(err, store.ErrSSOEmailNotVerified, "another subject differing only in case, no email")
	// Another org sees no links of this account.
	other := e.tenant()
	if ls := must(e.s.IdentityLinks(e.ctx, other.ID, m.Account.ID))(e); len(ls) != 0 {
		e.Errorf("another org's IdentityLinks = %+v, want none", ls)
	}
	// The first SSO sign-in activates the account.
	if got := must(e.s.RecordSSOSignIn(e.ctx, tn.ID, acc.ID, c.ID))(e); got.ActivatedAt == nil {
		e.Errorf("RecordSSOSignIn left the account inactive")
	}
}

func testLinkRefusals(e *env) {
	tn := e.tenant()
	other := e.tenant()
	c := e.connection(tn, true)
	oc := e.connection(other, true)
	m := e.member(tn.ID, withEmail(domainEmail(tn.Org)))
	outsider := e.member(other.ID, withEmail(domainEmail(tn.Org))) // in tn's domain, member of other only
	disabled := e.member(tn.ID, withEmail(domainEmail(tn.Org)), func(n *store.NewMember) { n.Disabled = true })
	cases := []struct {
		name string
		conn string
		id   store.ExternalIdentity
		want error
	}{
		{"email not verified", c.ID, store.ExternalIdentity{Subject: "s", Email: m.Account.Email}, store.ErrSSOEmailNotVerified},
		{"no email", c.ID, store.ExternalIdentity{Subject: "s", EmailVerified: true}, store.ErrSSOEmailNotVerified},
		{"email outside the org's domains", c.ID, verified("s", "x-"+rnd()+"@elsewhere.example"), store.ErrSSOEmailDomain},
		{"unknown person", c.ID, verified("s", domainEmail(tn.Org)), store.ErrSSONotProvisioned},
		{"a member of another org only", c.ID, verified("s", outsider.Account.Email), store.ErrSSONotProvisioned},
		{"disabled member", c.ID, verified("s", disabled.Account.Email), store.ErrForbidden},
		{"through another org's connection", oc.ID, verified("s", m.Account.Email), store.ErrSSOEmailDomain},
		{"unknown connection", "00000000-0000-7000-8000-000000000000", verified("s", m.Account.Email), store.ErrNotFound},
		{"no subject", c.ID, verified("", m.Account.Email), store.ErrInvalid},
	}
	for _, tc := range cases {
		before := e.snap([]string{tn.ID, other.ID}, m.Account.ID, outsider.Account.ID, disabled.Account.ID)
		_, err := e.s.LinkSSOIdentity(e.ctx, tc.conn, tc.id, false)
		e.wantIs(err, tc.want, tc.name)
		e.unchanged(before, tc.name)
		if ls := must(e.s.IdentityLinks(e.ctx, tn.ID, m.Account.ID))(e); len(ls) != 0 {
			e.Errorf("%s: a link was written: %+v", tc.name, ls)
		}
	}
	// One subject per account and connection: another subject with the
	// linked account's email is refused, not linked silently.
	must(e.s.LinkSSOIdentity(e.ctx, c.ID, verified("s-1", m.Account.Email), false))(e)
	_, err := e.s.LinkSSOIdentity(e.ctx, c.ID, verified("s-2", m.Account.Email), false)
	e.wantIs(err, store.ErrSSOLinkedElsewhere, "a second subject for a linked account")
}

func testLinkJIT(e *env) {
	tn := e.tenant()
	other := e.tenant()
	c := e.connection(tn, true)
	addr := domainEmail(tn.Org)
	id := store.ExternalIdentity{Subject: "jit-1", Email: addr, EmailVerified: true, GivenName: "Jo", FamilyName: "Doe"}
	acc := must(e.s.LinkSSOIdentity(e.ctx, c.ID, id, true))(e)
	m := must(e.s.GetMember(e.ctx, tn.ID, acc.ID))(e)
	if m.Account.Email != addr || m.Account.GivenName != "Jo" || m.Membership.UserType != store.UserTypeUser || m.Membership.ReportsRole != store.ReportsNoAccess {
		e.Errorf("JIT member = %+v", m)
	}
	// Rule 14: a person with an account elsewhere gets a membership, not a second account.
	elsewhere := e.member(other.ID, withEmail(domainEmail(tn.Org)))
	acc2 := must(e.s.LinkSSOIdentity(e.ctx, c.ID, verified("jit-2", elsewhere.Account.Email), true))(e)
	if acc2.ID != elsewhere.Account.ID {
		e.Errorf("JIT for an existing account made account %s, want %s", acc2.ID, elsewhere.Account.ID)
	}
	if orgs := must(e.s.AccountOrgs(e.ctx, acc2.ID))(e); len(orgs) != 2 {
		e.Errorf("orgs after JIT = %d, want 2", len(orgs))
	}
	// JIT keeps the email checks.
	_, err := e.s.LinkSSOIdentity(e.ctx, c.ID, verified("jit-3", "x-"+rnd()+"@elsewhere.example"), true)
	e.wantIs(err, store.ErrSSOEmailDomain, "JIT outside the domains")
	_, err = e.s.LinkSSOIdentity(e.ctx, c.ID, store.ExternalIdentity{Subject: "jit-4", Email: domainEmail(tn.Org)}, true)
	e.wantIs(err, store.ErrSSOEmailNotVerified, "JIT with an unverified email")
}

func testLinkLifetime(e *env) {
	tn := e.tenant()
	c := e.connection(tn, true)
	m := e.member(tn.ID, withEmail(domainEmail(tn.Org)))
	must(e.s.LinkSSOIdentity(e.ctx, c.ID, verified("life-1", m.Account.Email), false))(e)
	// Removed from the org: the link no longer signs in (rule 13's sibling).
	e.ok(e.s.RemoveMember(e.ctx, tn.Actor, tn.ID, m.Account.ID), "remove member")
	_, err := e.s.LinkSSOIdentity(e.ctx, c.ID, verified("life-1", m.Account.Email), false)
	e.wantIs(err, store.ErrSSONotProvisioned, "linked subject of a removed member")
	// Deleting the connection deletes its links.
	m2 := e.member(tn.ID, withEmail(domainEmail(tn.Org)))
	must(e.s.LinkSSOIdentity(e.ctx, c.ID, verified("life-2", m2.Account.Email), false))(e)
	e.ok(e.s.DeleteConnection(e.ctx, tn.Actor, tn.ID, c.ID), "delete connection")
	if ls := must(e.s.IdentityLinks(e.ctx, tn.ID, m2.Account.ID))(e); len(ls) != 0 {
		e.Errorf("links after the connection was deleted = %+v", ls)
	}
	// The raw storage: a second link of the same subject is a conflict.
	c2 := e.connection(tn, true)
	err = e.b.InTx(e.ctx, func(tx store.Tx) error {
		l := store.IdentityLink{OrgID: tn.ID, ConnectionID: c2.ID, Subject: "raw", AccountID: m2.Account.ID, CreatedAt: e.clock.Now()}
		if err := tx.InsertIdentityLink(e.ctx, l); err != nil {
			return err
		}
		l.AccountID = tn.Admin.Account.ID
		return tx.InsertIdentityLink(e.ctx, l)
	})
	e.wantConflict(err, "identity_link", "the same subject twice")
	err = e.b.ReadTx(e.ctx, func(tx store.Tx) error {
		_, err := tx.GetIdentityLink(e.ctx, c2.ID, "raw")
		return err
	})
	e.wantNotFound(err, "the rolled-back link")
}
