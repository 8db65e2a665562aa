package storetest

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/idbridge/idbridge/store"
)

var memberTests = []test{
	{name: "member_create_get", fn: testMemberCreate},
	{name: "member_not_found", fn: testMemberNotFound},
	{name: "member_email_unique_case_insensitive", fn: testMemberEmailUnique},
	{name: "rule14_same_email_joins_account", fn: testRule14},
	{name: "member_invalid_input_writes_nothing", fn: testMemberInvalid},
	{name: "member_update", fn: testMemberUpdate},
	{name: "member_remove", fn: testMemberRemove},
	{name: "member_status_derivation", fn: testStatusDerivation},
	{name: "member_bulk_update", fn: testBulkUpdate},
	{name: "member_details", fn: testMemberDetails},
}

// unknownID is a well-formed id no row has.
const unknownID = "0190f3a2-0000-7000-8000-000000000000"

// sameDoc reports whether two JSON documents are equal, whatever the key order and spacing.
func sameDoc(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return jsonOf(x) == jsonOf(y)
}

func testMemberCreate(e *env) {
	tn := e.tenant()
	other := e.tenant()
	scim, _ := e.scim(tn)
	addr := email("Alice")
	ext := "ext-" + rnd()
	profile := json.RawMessage(`{"userName":"alice","name":{"givenName":"Alice","familyName":"Smith"},"emails":[{"value":"x"}]}`)
	m := must(e.s.CreateMember(e.ctx, scim, tn.ID, store.NewMember{Email: "  " + addr + " ", GivenName: " Alice ", FamilyName: "Smith",
		ExternalID: ext, Profile: profile, Subscription: store.SubscriptionProfessional, ReportsRole: store.ReportsViewer}))(e)
	a, ms := m.Account, m.Membership
	if a.Email != addr || a.GivenName != "Alice" || a.FamilyName != "Smith" || a.PasswordHash != "" || a.ActivatedAt != nil || !a.CreatedAt.Equal(e.clock.Now()) {
		e.Errorf("new account = %+v", a)
	}
	if ms.OrgID != tn.ID || ms.AccountID != a.ID || ms.UserType != store.UserTypeUser || ms.Subscription != store.SubscriptionProfessional ||
		ms.ReportsRole != store.ReportsViewer || ms.ExternalID != ext || ms.InvitedAt != nil || ms.Disabled || m.Status() != store.StatusInactive {
		e.Errorf("new membership = %+v", ms)
	}
	got := must(e.s.GetMember(e.ctx, tn.ID, a.ID))(e)
	if !sameDoc(got.Membership.Profile, profile) {
		e.Errorf("profile read back = %s, want %s", got.Membership.Profile, profile)
	}
	got.Membership.Profile, m.Membership.Profile = nil, nil
	e.same("GetMember", got, m)
	for _, in := range []string{addr, strings.ToUpper(addr), strings.ToLower(addr)} {
		if byEmail, err := e.s.MemberByEmail(e.ctx, tn.ID, in); err != nil || byEmail.Account.ID != a.ID {
			e.Errorf("MemberByEmail(%q) = %s, %v", in, byEmail.Account.ID, err)
		}
		if acc, err := e.s.AccountByEmail(e.ctx, in); err != nil || acc.ID != a.ID {
			e.Errorf("AccountByEmail(%q) = %s, %v", in, acc.ID, err)
		}
	}
	if byExt := must(e.s.MemberByExternalID(e.ctx, tn.ID, ext))(e); byExt.Account.ID != a.ID {
		e.Errorf("MemberByExternalID = %s, want %s", byExt.Account.ID, a.ID)
	}
	e.same("GetAccount", must(e.s.GetAccount(e.ctx, a.ID))(e), a)
	if orgs := must(e.s.AccountOrgs(e.ctx, a.ID))(e); len(orgs) != 1 || orgs[0].ID != tn.ID {
		e.Errorf("AccountOrgs = %+v, want just %s", orgs, tn.ID)
	}
	entry := e.auditOf(tn.ID)[0]
	if entry.Action != "member.create" || entry.TargetID != a.ID || entry.Actor.Kind != store.ActorSCIM || entry.Actor.TokenID != scim.TokenID ||
		!strings.Contains(string(entry.After), addr) {
		e.Errorf("audit entry = %+v, want member.create by the SCIM token", entry)
	}

	// Another org sees none of it, and its actors cannot add people here.
	_, err := e.s.GetMember(e.ctx, other.ID, a.ID)
	e.wantNotFound(err, "GetMember through another org")
	_, err = e.s.MemberByEmail(e.ctx, other.ID, addr)
	e.wantNotFound(err, "MemberByEmail through another org")
	_, err = e.s.MemberByExternalID(e.ctx, other.ID, ext)
	e.wantNotFound(err, "MemberByExternalID through another org")
	_, err = e.s.GetMemberDetails(e.ctx, other.ID, a.ID)
	e.wantNotFound(err, "GetMemberDetails through another org")
	otherSCIM, _ := e.scim(other)
	user := e.member(tn.ID)
	before := e.snap([]string{tn.ID, other.ID}, a.ID, user.Account.ID)
	sneaky := email("sneaky")
	for _, actor := range []store.Actor{other.Actor, otherSCIM} {
		_, err = e.s.CreateMember(e.ctx, actor, tn.ID, store.NewMember{Email: sneaky})
		e.wantNotFound(err, "CreateMember by another org's "+string(actor.Kind))
	}
	_, err = e.s.CreateMember(e.ctx, store.AdminActor(tn.ID, user.Account.ID), tn.ID, store.NewMember{Email: sneaky})
	e.wantIs(err, store.ErrForbidden, "CreateMember by a plain user")
	_, err = e.s.CreateMember(e.ctx, store.SelfActor(user.Account.ID), tn.ID, store.NewMember{Email: sneaky})
	e.wantIs(err, store.ErrForbidden, "CreateMember by self")
	e.unchanged(before, "refused CreateMember calls")
	_, err = e.s.AccountByEmail(e.ctx, sneaky)
	e.wantNotFound(err, "account of a refused CreateMember")
}

func testMemberNotFound(e *env) {
	tn := e.tenant()
	other := e.tenant()
	stranger := e.member(other.ID)
	for _, id := range []string{unknownID, "not-a-uuid", stranger.Account.ID} {
		_, err := e.s.GetMember(e.ctx, tn.ID, id)
		e.wantNotFound(err, "GetMember("+id+")")
		_, err = e.s.GetMemberDetails(e.ctx, tn.ID, id)
		e.wantNotFound(err, "GetMemberDetails("+id+")")
		_, err = e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}})
		e.wantNotFound(err, "UpdateMember("+id+")")
		e.wantNotFound(e.s.RemoveMember(e.ctx, tn.Actor, tn.ID, id), "RemoveMember("+id+")")
		_, err = e.s.Invite(e.ctx, tn.Actor, tn.ID, id)
		e.wantNotFound(err, "Invite("+id+")")
		_, err = e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, id, email("new"))
		e.wantNotFound(err, "ChangeEmail("+id+")")
		_, _, err = e.s.CreateSession(e.ctx, tn.ID, id, "", store.DefaultSessionLimits)
		e.wantNotFound(err, "CreateSession("+id+")")
		_, err = e.s.RecordSSOSignIn(e.ctx, tn.ID, id, "")
		e.wantNotFound(err, "RecordSSOSignIn("+id+")")
	}
	for _, id := range []string{unknownID, "not-a-uuid"} {
		_, err := e.s.GetAccount(e.ctx, id)
		e.wantNotFound(err, "GetAccount("+id+")")
		_, err = e.s.SetName(e.ctx, support, id, "A", "B")
		e.wantNotFound(err, "SetName("+id+")")
		_, err = e.s.UnlockAccount(e.ctx, support, id)
		e.wantNotFound(err, "UnlockAccount("+id+")")
	}
	_, err := e.s.AccountByEmail(e.ctx, email("nobody"))
	e.wantNotFound(err, "AccountByEmail(unknown)")
	_, err = e.s.MemberByEmail(e.ctx, tn.ID, stranger.Account.Email)
	e.wantNotFound(err, "MemberByEmail(another org's member)")
	_, err = e.s.MemberByExternalID(e.ctx, tn.ID, "ext-"+rnd())
	e.wantNotFound(err, "MemberByExternalID(unknown)")
	_, err = e.s.CreateMember(e.ctx, support, unknownID, store.NewMember{Email: email("x")})
	e.wantNotFound(err, "CreateMember(unknown org)")
	if ms, total, err := e.s.ListMembers(e.ctx, unknownID, store.MemberQuery{}); err != nil || len(ms) != 0 || total != 0 {
		e.Errorf("ListMembers(unknown org) = %d, %d, %v; want nothing", len(ms), total, err)
	}
}

func testMemberEmailUnique(e *env) {
	tn := e.tenant()
	other := e.tenant()
	addr := "Case-" + rnd() + "@Mixed-" + rnd() + ".Example.COM"
	m := e.member(tn.ID, withEmail(addr))
	if want := addr[:strings.IndexByte(addr, '@')] + strings.ToLower(addr[strings.IndexByte(addr, '@'):]); m.Account.Email != want {
		e.Errorf("stored email = %q, want %q (domain lower-cased)", m.Account.Email, want)
	}
	before := e.snap([]string{tn.ID}, m.Account.ID)
	for _, variant := range []string{addr, strings.ToLower(addr), strings.ToUpper(addr)} {
		_, err := e.s.CreateMember(e.ctx, tn.Actor, tn.ID, store.NewMember{Email: variant, GivenName: "Twin"})
		e.wantConflict(err, "membership", "CreateMember("+variant+") in the same org")
	}
	e.unchanged(before, "duplicate CreateMember")
	// Another org may add the same person: it is the same account (rule 14).
	joined := must(e.s.CreateMember(e.ctx, other.Actor, other.ID, store.NewMember{Email: strings.ToUpper(addr)}))(e)
	if joined.Account.ID != m.Account.ID || joined.Account.Email != m.Account.Email {
		e.Errorf("same email in another org made account %s (%s), want %s", joined.Account.ID, joined.Account.Email, m.Account.ID)
	}
	// An email change to a taken address, in any case, is a conflict.
	n := e.member(tn.ID)
	before = e.snap([]string{tn.ID}, m.Account.ID, n.Account.ID)
	_, err := e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, n.Account.ID, strings.ToUpper(addr))
	e.wantConflict(err, "email", "ChangeEmail to a taken address")
	e.unchanged(before, "ChangeEmail to a taken address")
}

func testRule14(e *env) {
	a := e.tenant()
	b := e.tenant() // another company
	addr, pw := email("consultant"), password()
	pa, pb := json.RawMessage(`{"userName":"a-view"}`), json.RawMessage(`{"userName":"b-view","title":"Auditor"}`)
	m1 := must(e.s.CreateMember(e.ctx, a.Actor, a.ID, store.NewMember{Email: addr, GivenName: "Ann", FamilyName: "Lee",
		Password: pw, ExternalID: "ext-a", Profile: pa}))(e)
	m2 := must(e.s.CreateMember(e.ctx, b.Actor, b.ID, store.NewMember{Email: strings.ToUpper(addr), GivenName: "Other", FamilyName: "Name",
		Password: password(), ExternalID: "ext-b", Profile: pb, Subscription: store.SubscriptionSupervision}))(e)
	if m2.Account.ID != m1.Account.ID {
		e.Fatalf("second org created account %s, want the existing %s", m2.Account.ID, m1.Account.ID)
	}
	acc := must(e.s.GetAccount(e.ctx, m1.Account.ID))(e)
	if acc.GivenName != "Ann" || acc.FamilyName != "Lee" || acc.Email != addr {
		e.Errorf("account after the second org added it = %+v, want the first profile kept", acc)
	}
	// A's admin set the password, so only A's company vouches for it: it
	// never opens B (docs/security-model.md); the person uses a reset link.
	if _, err := e.s.PasswordSignIn(e.ctx, "", addr, pw); !errors.Is(err, store.ErrBadCredentials) {
		e.Errorf("a password A's admin set, after another company's org added the account: %v, want bad credentials", err)
	}
	if orgs := must(e.s.AccountOrgs(e.ctx, acc.ID))(e); len(orgs) != 2 {
		e.Errorf("AccountOrgs = %d orgs, want 2", len(orgs))
	}
	ga, gb := must(e.s.GetMember(e.ctx, a.ID, acc.ID))(e), must(e.s.GetMember(e.ctx, b.ID, acc.ID))(e)
	if !sameDoc(ga.Membership.Profile, pa) || ga.Membership.ExternalID != "ext-a" || ga.Membership.Subscription != store.SubscriptionNone {
		e.Errorf("org a's view = %+v, want its own profile and externalId", ga.Membership)
	}
	if !sameDoc(gb.Membership.Profile, pb) || gb.Membership.ExternalID != "ext-b" || gb.Membership.Subscription != store.SubscriptionSupervision {
		e.Errorf("org b's view = %+v, want its own profile and externalId", gb.Membership)
	}
	_, err := e.s.MemberByExternalID(e.ctx, a.ID, "ext-b")
	e.wantNotFound(err, "org a looking up org b's externalId")
	if n := len(e.auditWhere(func(x store.AuditEntry) bool { return x.TargetID == acc.ID && x.Action == "member.create" })); n != 2 {
		e.Errorf("member.create entries = %d, want 2", n)
	}
}

func testMemberInvalid(e *env) {
	tn := e.tenant()
	other := e.tenant()
	long := strings.Repeat("x", 201)
	cases := []struct {
		name string
		in   store.NewMember
		rule store.Rule
	}{
		{name: "accented email", in: store.NewMember{Email: "élodie-" + rnd() + "@example.com"}, rule: store.RuleEmailSyntax},
		{name: "no at", in: store.NewMember{Email: "nobody-" + rnd()}, rule: store.RuleEmailSyntax},
		{name: "display name", in: store.NewMember{Email: "Bob <bob-" + rnd() + "@example.com>"}, rule: store.RuleEmailSyntax},
		{name: "reports role without subscription", in: store.NewMember{Email: email("r7"), ReportsRole: store.ReportsViewer}, rule: store.RuleReportsRole},
		{name: "unknown user type", in: store.NewMember{Email: email("ut"), UserType: "root"}},
		{name: "unknown subscription", in: store.NewMember{Email: email("sub"), Subscription: "gold"}},
		{name: "long name", in: store.NewMember{Email: email("long"), GivenName: long}},
		{name: "short password", in: store.NewMember{Email: email("pw"), Password: "short"}},
	}
	before := e.snap([]string{tn.ID, other.ID}, tn.Admin.Account.ID)
	for _, tc := range cases {
		_, err := e.s.CreateMember(e.ctx, tn.Actor, tn.ID, tc.in)
		if tc.rule != 0 {
			e.wantRule(err, tc.rule, tc.name)
		} else {
			e.wantInvalid(err, tc.name)
		}
		if _, err := e.s.AccountByEmail(e.ctx, tc.in.Email); err == nil {
			e.Errorf("%s: an account was created", tc.name)
		}
	}
	e.unchanged(before, "invalid CreateMember calls")
	if _, total := e.list(tn.ID, store.MemberQuery{}); total != 1 {
		e.Errorf("org has %d members after invalid creates, want 1 (the admin)", total)
	}
}
