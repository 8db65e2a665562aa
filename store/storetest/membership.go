package storetest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/idbridge/idbridge/store"
)

func testMemberUpdate(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID)
	e.clock.Advance(time.Minute)
	profile := json.RawMessage(`{"userName":"u","active":true}`)
	upd := store.MemberUpdate{MembershipChange: store.MembershipChange{UserType: new(store.UserTypeSystemAdmin),
		Subscription: new(store.SubscriptionProfessional), ReportsRole: new(store.ReportsEditor)}, ExternalID: new("ext-" + rnd()), Profile: &profile}
	got := must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, upd))(e)
	want := m.Membership
	want.UserType, want.Subscription, want.ReportsRole, want.ExternalID = store.UserTypeSystemAdmin, store.SubscriptionProfessional, store.ReportsEditor, *upd.ExternalID
	want.UpdatedAt = e.clock.Now().UTC().Truncate(time.Microsecond)
	read := must(e.s.GetMember(e.ctx, tn.ID, m.Account.ID))(e)
	if !sameDoc(read.Membership.Profile, profile) {
		e.Errorf("profile = %s, want %s", read.Membership.Profile, profile)
	}
	got.Membership.Profile, read.Membership.Profile = nil, nil
	e.same("UpdateMember result", got.Membership, want)
	e.same("GetMember after UpdateMember", read.Membership, want)
	e.same("account after UpdateMember", read.Account, m.Account)
	if a := e.auditOf(tn.ID)[0]; a.Action != "member.update" || a.TargetID != m.Account.ID || len(a.Before) == 0 || len(a.After) == 0 {
		e.Errorf("audit = %+v, want member.update with before and after", a)
	}
	// An empty change changes nothing but the time.
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, store.MemberUpdate{}))(e)

	otherSCIM, _ := e.scim(other)
	before := e.snap([]string{tn.ID, other.ID}, m.Account.ID, other.Admin.Account.ID)
	for _, actor := range []store.Actor{other.Actor, otherSCIM} {
		_, err := e.s.UpdateMember(e.ctx, actor, tn.ID, m.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}})
		e.wantNotFound(err, "UpdateMember by another org's "+string(actor.Kind))
		_, err = e.s.UpdateMember(e.ctx, actor, other.ID, m.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}})
		e.wantNotFound(err, "UpdateMember of a non-member through another org")
	}
	_, err := e.s.UpdateMember(e.ctx, tn.Actor, other.ID, other.Admin.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}})
	e.wantNotFound(err, "admin updating another org's admin")
	_, err = e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{UserType: new(store.UserType("owner"))}})
	e.wantInvalid(err, "unknown user type")
	e.unchanged(before, "refused UpdateMember calls")

	scim, _ := e.scim(tn)
	got = must(e.s.UpdateMember(e.ctx, scim, tn.ID, m.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}}))(e)
	if got.Status() != store.StatusDisabled {
		e.Errorf("status after SCIM active=false = %s, want disabled", got.Status())
	}
}

func testMemberRemove(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	e.member(other.ID, withEmail(m.Account.Email))
	g := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "Team " + rnd(), Members: []store.GroupMember{{AccountID: m.Account.ID}}}))(e)
	must(e.s.Invite(e.ctx, tn.Actor, tn.ID, m.Account.ID))(e)
	link := e.invitationSecret(m.Account.Email)
	cookie, _ := must3(e.s.CreateSession(e.ctx, tn.ID, m.Account.ID, "", store.DefaultSessionLimits))(e)
	otherCookie, _ := must3(e.s.CreateSession(e.ctx, other.ID, m.Account.ID, "", store.DefaultSessionLimits))(e)

	otherSCIM, _ := e.scim(other)
	before := e.snap([]string{tn.ID, other.ID}, m.Account.ID)
	for _, actor := range []store.Actor{other.Actor, otherSCIM} {
		e.wantNotFound(e.s.RemoveMember(e.ctx, actor, tn.ID, m.Account.ID), "RemoveMember by another org's "+string(actor.Kind))
	}
	e.wantNotFound(e.s.RemoveMember(e.ctx, tn.Actor, other.ID, m.Account.ID), "RemoveMember through another org")
	e.unchanged(before, "refused RemoveMember calls")

	e.ok(e.s.RemoveMember(e.ctx, tn.Actor, tn.ID, m.Account.ID), "RemoveMember")
	_, err := e.s.GetMember(e.ctx, tn.ID, m.Account.ID)
	e.wantNotFound(err, "GetMember after RemoveMember")
	if orgs := must(e.s.AccountOrgs(e.ctx, m.Account.ID))(e); len(orgs) != 1 || orgs[0].ID != other.ID {
		e.Errorf("AccountOrgs after removal = %+v, want only the other org", orgs)
	}
	if ms := must(e.s.ListGroupMembers(e.ctx, tn.ID, g.ID, "", 0))(e); len(ms) != 0 {
		e.Errorf("group still lists %d members after removal", len(ms))
	}
	_, err = e.s.AcceptInvitation(e.ctx, link, pw+"2", pw+"2")
	e.wantIs(err, store.ErrLinkInvalid, "invitation of a removed member")
	_, err = e.s.CheckSession(e.ctx, cookie, store.DefaultSessionLimits)
	e.wantIs(err, store.ErrSessionExpired, "session in the org the member left (rule 13)")
	if _, err := e.s.CheckSession(e.ctx, otherCookie, store.DefaultSessionLimits); err != nil {
		e.Errorf("session in the other org ended too: %v", err)
	}
	must(e.s.GetMember(e.ctx, other.ID, m.Account.ID))(e)
	if a := e.auditOf(tn.ID)[0]; a.Action != "member.remove" || a.TargetID != m.Account.ID || a.After != nil && string(a.After) != "null" {
		e.Errorf("audit = %+v, want member.remove", a)
	}
	e.wantNotFound(e.s.RemoveMember(e.ctx, tn.Actor, tn.ID, m.Account.ID), "second RemoveMember")

	// Removed from every org, the account stays and can still reset its password.
	e.ok(e.s.RemoveMember(e.ctx, support, other.ID, m.Account.ID), "RemoveMember from the last org")
	acc := must(e.s.GetAccount(e.ctx, m.Account.ID))(e)
	if orgs := must(e.s.AccountOrgs(e.ctx, acc.ID))(e); len(orgs) != 0 {
		e.Errorf("AccountOrgs = %d, want none", len(orgs))
	}
	e.ok(e.s.RequestPasswordReset(e.ctx, "", acc.Email), "RequestPasswordReset of an account with no org")
	must(e.s.ResetPassword(e.ctx, e.resetSecret(acc.Email), pw+"3", pw+"3"))(e)
}

func testStatusDerivation(e *env) {
	tn := e.tenant()
	other := e.tenant()
	m := e.member(tn.ID)
	id := m.Account.ID
	status := func(orgID string) store.Status {
		e.Helper()
		return must(e.s.GetMember(e.ctx, orgID, id))(e).Status()
	}
	listed := func(orgID string, st store.Status) bool {
		e.Helper()
		ms, _ := e.list(orgID, store.MemberQuery{Statuses: []store.Status{st}})
		return slices.ContainsFunc(ms, func(x store.Member) bool { return x.Account.ID == id })
	}
	step := func(want store.Status) {
		e.Helper()
		if got := status(tn.ID); got != want {
			e.Errorf("status = %s, want %s", got, want)
		}
		for _, st := range []store.Status{store.StatusActive, store.StatusPending, store.StatusInactive, store.StatusDisabled} {
			if got := listed(tn.ID, st); got != (st == want) {
				e.Errorf("listed under %s = %v while the status is %s", st, got, want)
			}
		}
	}
	step(store.StatusInactive)
	_, err := e.s.Invite(e.ctx, other.Actor, tn.ID, id)
	e.wantNotFound(err, "Invite by another org's admin")
	invited := must(e.s.Invite(e.ctx, tn.Actor, tn.ID, id))(e)
	if invited.Membership.InvitedAt == nil || !invited.Membership.InvitedAt.Equal(e.clock.Now()) {
		e.Errorf("InvitedAt = %v, want the clock's time", invited.Membership.InvitedAt)
	}
	step(store.StatusPending)
	e.clock.Advance(time.Hour)
	pw := password()
	acc := must(e.s.AcceptInvitation(e.ctx, e.invitationSecret(m.Account.Email), pw, pw))(e)
	if acc.ActivatedAt == nil || !acc.ActivatedAt.Equal(e.clock.Now()) || acc.PasswordHash == "" {
		e.Errorf("account after accepting = %+v, want activated now with a password", acc)
	}
	step(store.StatusActive)
	if _, err := e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw); err != nil {
		e.Errorf("sign in with the invitation's password: %v", err)
	}
	// The status is per org: a second org sees the account active at once, and
	// disabling it here leaves it active there.
	e.member(other.ID, withEmail(m.Account.Email))
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}}))(e)
	step(store.StatusDisabled)
	if got := status(other.ID); got != store.StatusActive || listed(other.ID, store.StatusDisabled) {
		e.Errorf("status in the other org = %s, want active", got)
	}
	_, err = e.s.Invite(e.ctx, tn.Actor, tn.ID, id)
	e.wantRule(err, store.RuleInvitations, "Invite a disabled member")
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(false)}}))(e)
	step(store.StatusActive)

	// SSO activates on the first sign-in; a disabled member cannot sign in.
	c := e.connection(tn, true)
	n := e.member(tn.ID)
	got := must(e.s.RecordSSOSignIn(e.ctx, tn.ID, n.Account.ID, c.ID))(e)
	if got.ActivatedAt == nil || must(e.s.GetMember(e.ctx, tn.ID, n.Account.ID))(e).Status() != store.StatusActive {
		e.Errorf("SSO sign-in did not activate: %+v", got)
	}
	d := e.member(tn.ID, func(x *store.NewMember) { x.Disabled = true })
	_, err = e.s.RecordSSOSignIn(e.ctx, tn.ID, d.Account.ID, c.ID)
	e.wantIs(err, store.ErrForbidden, "SSO sign-in of a disabled member")
	if st := must(e.s.GetMember(e.ctx, tn.ID, d.Account.ID))(e).Status(); st != store.StatusDisabled {
		e.Errorf("status of a member created disabled = %s", st)
	}
	_, err = e.s.RecordSSOSignIn(e.ctx, other.ID, n.Account.ID, c.ID)
	e.wantNotFound(err, "SSO sign-in through an org the account is not in")
}

func testBulkUpdate(e *env) {
	tn := e.tenant()
	other := e.tenant()
	tag := rnd()
	tagged := func(n *store.NewMember) { n.FamilyName = "Bulk" + tag }
	u1, u2 := e.member(tn.ID, tagged), e.member(tn.ID, tagged)
	u3 := e.member(tn.ID, tagged, func(n *store.NewMember) {
		n.Subscription, n.ReportsRole = store.SubscriptionProfessional, store.ReportsViewer
	})
	e.member(tn.ID, func(n *store.NewMember) { n.UserType = store.UserTypeSystemAdmin })
	stranger := e.member(other.ID)
	ids := []string{u1.Account.ID, u2.Account.ID, u3.Account.ID, tn.Admin.Account.ID, unknownID, stranger.Account.ID}
	before := e.snap([]string{tn.ID, other.ID}, u3.Account.ID, tn.Admin.Account.ID, stranger.Account.ID)
	res := e.s.UpdateMembers(e.ctx, tn.Actor, tn.ID, ids, store.MemberUpdate{MembershipChange: store.MembershipChange{Subscription: new(store.SubscriptionContributor)}})
	if len(res) != len(ids) {
		e.Fatalf("UpdateMembers returned %d results, want %d", len(res), len(ids))
	}
	for i, r := range res {
		if r.AccountID != ids[i] {
			e.Errorf("result %d is for %s, want %s", i, r.AccountID, ids[i])
		}
	}
	for _, i := range []int{0, 1} {
		if res[i].Err != nil {
			e.Errorf("UpdateMembers result %d: %v", i, res[i].Err)
		}
	}
	e.wantRule(res[2].Err, store.RuleReportsRole, "bulk lowering below the reports role")
	e.wantRule(res[3].Err, store.RuleSubscriptionAdmins, "bulk changing one's own subscription")
	e.wantNotFound(res[4].Err, "bulk with an unknown id")
	e.wantNotFound(res[5].Err, "bulk with another org's member")
	// The refused members, the org and the other org are as they were, apart
	// from the two audit entries of the accepted changes.
	before.audit += 2
	e.unchanged(before, "refused part of the bulk change")
	for _, u := range []store.Member{u1, u2} {
		if got := must(e.s.GetMember(e.ctx, tn.ID, u.Account.ID))(e); got.Membership.Subscription != store.SubscriptionContributor {
			e.Errorf("bulk change not applied to %s: %s", u.Account.ID, got.Membership.Subscription)
		}
	}

	// "All N users" matching a search, across pages.
	q := store.MemberQuery{Search: "bulk" + tag, Subscription: []store.Subscription{store.SubscriptionContributor}}
	all := must(e.s.UpdateMatchingMembers(e.ctx, tn.Actor, tn.ID, q, store.MemberUpdate{MembershipChange: store.MembershipChange{
		Subscription: new(store.SubscriptionSupervision), ReportsRole: new(store.ReportsViewer)}}))(e)
	if len(all) != 2 || all[0].Err != nil || all[1].Err != nil {
		e.Errorf("UpdateMatchingMembers = %+v, want u1 and u2 changed", all)
	}
	if _, total := e.list(tn.ID, store.MemberQuery{Search: "bulk" + tag, Subscription: []store.Subscription{store.SubscriptionSupervision}}); total != 2 {
		e.Errorf("%d members on supervision after the bulk change, want 2", total)
	}
	before = e.snap([]string{tn.ID}, u1.Account.ID, u2.Account.ID, u3.Account.ID)
	res, err := e.s.UpdateMatchingMembers(e.ctx, other.Actor, tn.ID, store.MemberQuery{}, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}})
	e.wantNotFound(err, "UpdateMatchingMembers by another org's admin")
	if len(res) != 0 {
		e.Errorf("another org's admin got %d results (ids of this org's members), want none", len(res))
	}
	e.unchanged(before, "UpdateMatchingMembers by another org's admin")
}

func testMemberDetails(e *env) {
	tn := e.tenant()
	other := e.tenant()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	e.member(other.ID, withEmail(m.Account.Email))
	gb := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "B team " + rnd(), Members: []store.GroupMember{{AccountID: m.Account.ID}}}))(e)
	ga := must(e.s.CreateGroup(e.ctx, tn.Actor, tn.ID, store.NewGroup{DisplayName: "A team " + rnd(), Members: []store.GroupMember{{AccountID: m.Account.ID, Role: store.GroupRoleManager}}}))(e)
	must(e.s.CreateGroup(e.ctx, other.Actor, other.ID, store.NewGroup{DisplayName: "Other " + rnd(), Members: []store.GroupMember{{AccountID: m.Account.ID}}}))(e)
	var times []time.Time
	for range 3 {
		e.clock.Advance(time.Minute)
		times = append(times, e.clock.Now())
		must(e.s.PasswordSignIn(e.ctx, tn.ID, m.Account.Email, pw))(e)
	}
	e.clock.Advance(time.Minute)
	must(e.s.PasswordSignIn(e.ctx, other.ID, m.Account.Email, pw))(e)

	d := must(e.s.GetMemberDetails(e.ctx, tn.ID, m.Account.ID))(e)
	if len(d.Groups) != 2 || d.Groups[0].ID != ga.ID || d.Groups[1].ID != gb.ID ||
		!slices.Equal(d.GroupRoles, []store.GroupRole{store.GroupRoleManager, store.GroupRoleMember}) {
		e.Errorf("details groups = %+v %v, want A (manager) then B (member), not the other org's", d.Groups, d.GroupRoles)
	}
	if len(d.SignIns) != 2 || !d.SignIns[0].At.Equal(times[2]) || !d.SignIns[1].At.Equal(times[1]) ||
		d.SignIns[0].Method != "password" || d.SignIns[0].OrgID != tn.ID {
		e.Errorf("details sign-ins = %+v, want the last two in this org, newest first", d.SignIns)
	}
	if d.Member.Account.ID != m.Account.ID {
		e.Errorf("details member = %s", d.Member.Account.ID)
	}
	_, err := e.s.GetMemberDetails(e.ctx, other.ID, tn.Admin.Account.ID)
	e.wantNotFound(err, "details of this org's admin through another org")
}
