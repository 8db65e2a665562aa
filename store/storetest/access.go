package storetest

import (
	"strings"

	"github.com/idbridge/idbridge/store"
)

var accessTests = []test{
	{name: "rule06_admin_own_subscription", fn: testRule6OwnSubscription},
	{name: "rule06_last_enabled_admin", fn: testRule6LastAdmin},
	{name: "rule07_reports_role_needs_subscription", fn: testRule7},
	{name: "rule08_names", fn: testRule8},
}

// change is a MemberUpdate of access rights only.
func change(c store.MembershipChange) store.MemberUpdate {
	return store.MemberUpdate{MembershipChange: c}
}

func testRule6OwnSubscription(e *env) {
	tn := e.tenant()
	other := e.tenant()
	b := e.member(tn.ID, func(n *store.NewMember) { n.UserType = store.UserTypeSystemAdmin })
	bActor := store.AdminActor(tn.ID, b.Account.ID)
	a := tn.Admin.Account.ID
	before := e.snap([]string{tn.ID}, a, b.Account.ID)
	_, err := e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, a, change(store.MembershipChange{Subscription: new(store.SubscriptionProfessional)}))
	e.wantRule(err, store.RuleSubscriptionAdmins, "an admin raising their own subscription")
	_, err = e.s.UpdateMember(e.ctx, bActor, tn.ID, b.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionSupervision), ReportsRole: new(store.ReportsEditor)}))
	e.wantRule(err, store.RuleSubscriptionAdmins, "an admin changing their own subscription and reports role")
	res := e.s.UpdateMembers(e.ctx, tn.Actor, tn.ID, []string{a}, change(store.MembershipChange{Subscription: new(store.SubscriptionContributor)}))
	e.wantRule(res[0].Err, store.RuleSubscriptionAdmins, "an admin's own subscription in a bulk change")
	_, err = e.s.UpdateMember(e.ctx, other.Actor, tn.ID, b.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionProfessional)}))
	e.wantNotFound(err, "another org's admin")
	e.unchanged(before, "an admin changing their own subscription")

	// Another admin, support and the IdP may.
	got := must(e.s.UpdateMember(e.ctx, bActor, tn.ID, a, change(store.MembershipChange{Subscription: new(store.SubscriptionProfessional)})))(e)
	if got.Membership.Subscription != store.SubscriptionProfessional {
		e.Errorf("subscription = %s, want professional", got.Membership.Subscription)
	}
	must(e.s.UpdateMember(e.ctx, support, tn.ID, b.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionContributor)})))(e)
	scim, _ := e.scim(tn)
	must(e.s.UpdateMember(e.ctx, scim, tn.ID, b.Account.ID, change(store.MembershipChange{Subscription: new(store.SubscriptionSupervision)})))(e)
	// Their own other rights stay theirs: A demotes themself while B is an admin.
	got = must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, a, change(store.MembershipChange{UserType: new(store.UserTypeUser)})))(e)
	if got.Membership.UserType != store.UserTypeUser {
		e.Errorf("user type = %s, want user", got.Membership.UserType)
	}
}

func testRule6LastAdmin(e *env) {
	tn := e.tenant()
	other := e.tenant()
	a := tn.Admin.Account.ID
	// A disabled admin does not count.
	d := e.member(tn.ID, func(n *store.NewMember) { n.UserType, n.Disabled = store.UserTypeSystemAdmin, true })
	scim, _ := e.scim(tn)
	before := e.snap([]string{tn.ID}, a, d.Account.ID)
	demote := change(store.MembershipChange{UserType: new(store.UserTypeUser)})
	disable := change(store.MembershipChange{Disabled: new(true)})
	for _, tc := range []struct {
		what  string
		actor store.Actor
		upd   store.MemberUpdate
	}{
		{"the last admin demoting themself", tn.Actor, demote},
		{"the last admin disabling themself", tn.Actor, disable},
		{"support demoting the last admin", support, demote},
		{"the IdP deactivating the last admin", scim, disable},
	} {
		_, err := e.s.UpdateMember(e.ctx, tc.actor, tn.ID, a, tc.upd)
		e.wantRule(err, store.RuleSubscriptionAdmins, tc.what)
		e.wantDetail(err, "last")
	}
	for _, actor := range []store.Actor{tn.Actor, support, scim} {
		e.wantRule(e.s.RemoveMember(e.ctx, actor, tn.ID, a), store.RuleSubscriptionAdmins, "removing the last admin by "+string(actor.Kind))
	}
	_, err := e.s.UpdateMember(e.ctx, other.Actor, tn.ID, a, demote)
	e.wantNotFound(err, "another org's admin demoting this org's admin")
	e.wantNotFound(e.s.RemoveMember(e.ctx, other.Actor, tn.ID, a), "another org's admin removing this org's admin")
	e.unchanged(before, "refusals to leave the org without an admin")

	// A second enabled admin lets the first one go; then the second is the last.
	b := e.member(tn.ID, func(n *store.NewMember) { n.UserType = store.UserTypeSystemAdmin })
	bActor := store.AdminActor(tn.ID, b.Account.ID)
	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, a, disable))(e)
	_, err = e.s.UpdateMember(e.ctx, bActor, tn.ID, b.Account.ID, demote)
	e.wantRule(err, store.RuleSubscriptionAdmins, "the new last admin demoting themself")
	e.wantRule(e.s.RemoveMember(e.ctx, bActor, tn.ID, b.Account.ID), store.RuleSubscriptionAdmins, "the new last admin leaving")
	// Disabled admins may be removed or demoted freely.
	e.ok(e.s.RemoveMember(e.ctx, bActor, tn.ID, d.Account.ID), "removing a disabled admin")
	must(e.s.UpdateMember(e.ctx, bActor, tn.ID, a, demote))(e)
	if _, total := e.list(tn.ID, store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin}, Statuses: []store.Status{store.StatusInactive, store.StatusActive, store.StatusPending}}); total != 1 {
		e.Errorf("enabled admins = %d, want 1", total)
	}
}

func testRule7(e *env) {
	tn := e.tenant()
	other := e.tenant()
	if d := e.member(tn.ID); d.Membership.ReportsRole != store.ReportsNoAccess {
		e.Errorf("default reports role = %s, want no_access", d.Membership.ReportsRole)
	}
	m := e.member(tn.ID, func(n *store.NewMember) {
		n.Subscription, n.ReportsRole = store.SubscriptionProfessional, store.ReportsViewer
	})
	id := m.Account.ID
	before := e.snap([]string{tn.ID}, id)
	for _, tc := range []struct {
		what string
		c    store.MembershipChange
	}{
		{"lowering to contributor keeping viewer", store.MembershipChange{Subscription: new(store.SubscriptionContributor)}},
		{"lowering to none keeping viewer", store.MembershipChange{Subscription: new(store.SubscriptionNone)}},
		{"lowering and raising the reports role", store.MembershipChange{Subscription: new(store.SubscriptionContributor), ReportsRole: new(store.ReportsEditor)}},
	} {
		_, err := e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, change(tc.c))
		e.wantRule(err, store.RuleReportsRole, tc.what)
		e.wantDetail(err, "no access")
	}
	_, err := e.s.UpdateMember(e.ctx, other.Actor, tn.ID, id, change(store.MembershipChange{Subscription: new(store.SubscriptionNone), ReportsRole: new(store.ReportsNoAccess)}))
	e.wantNotFound(err, "another org's admin")
	e.unchanged(before, "reports role refusals")

	got := must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, change(store.MembershipChange{Subscription: new(store.SubscriptionContributor), ReportsRole: new(store.ReportsNoAccess)})))(e)
	if got.Membership.Subscription != store.SubscriptionContributor || got.Membership.ReportsRole != store.ReportsNoAccess {
		e.Errorf("lowering with reports back to no_access = %+v", got.Membership)
	}
	before = e.snap([]string{tn.ID}, id)
	_, err = e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, change(store.MembershipChange{ReportsRole: new(store.ReportsViewer)}))
	e.wantRule(err, store.RuleReportsRole, "viewer on contributor")
	e.unchanged(before, "viewer on contributor")
	got = must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, id, change(store.MembershipChange{Subscription: new(store.SubscriptionSupervision), ReportsRole: new(store.ReportsEditor)})))(e)
	if got.Membership.ReportsRole != store.ReportsEditor {
		e.Errorf("raising both = %+v", got.Membership)
	}
}

func testRule8(e *env) {
	a := e.tenant()
	sibling := e.org(a.CompanyID)
	foreign := e.tenant()
	stranger := e.tenant()
	m := e.member(a.ID)
	e.member(sibling.ID, withEmail(m.Account.Email))
	id := m.Account.ID
	peer := e.member(a.ID)
	scimA, _ := e.scim(a)
	scimStranger, _ := e.scim(stranger)
	before := e.snap([]string{a.ID, stranger.ID}, id)
	for _, tc := range []struct {
		what  string
		actor store.Actor
	}{
		{"an admin editing another person's name", a.Actor},
		{"a person editing someone else's name", store.SelfActor(peer.Account.ID)},
		{"idbridge itself", store.SystemActor},
	} {
		_, err := e.s.SetName(e.ctx, tc.actor, id, "Changed", "ByOthers")
		e.wantRule(err, store.RuleNames, tc.what)
	}
	_, err := e.s.SetName(e.ctx, scimStranger, id, "Changed", "ByStranger")
	e.wantNotFound(err, "another org's IdP")
	_, err = e.s.SetName(e.ctx, store.SelfActor(id), id, strings.Repeat("x", 201), "")
	e.wantInvalid(err, "a name over 200 characters")
	e.unchanged(before, "refused name changes")

	got := must(e.s.SetName(e.ctx, store.SelfActor(id), id, " Anna ", "Lee"))(e)
	if got.GivenName != "Anna" || got.FamilyName != "Lee" {
		e.Errorf("own name change = %q %q", got.GivenName, got.FamilyName)
	}
	if n := len(e.auditWhere(func(x store.AuditEntry) bool { return x.TargetID == id && x.Action == "account.name_change" })); n != 1 {
		e.Errorf("name changes audited = %d, want 1", n)
	}
	// The IdP of the only company the account belongs to sets the profile name.
	got = must(e.s.SetName(e.ctx, scimA, id, "Anna", "FromIdP"))(e)
	if got.FamilyName != "FromIdP" {
		e.Errorf("IdP name change = %q", got.FamilyName)
	}
	must(e.s.SetName(e.ctx, a.Actor, a.Admin.Account.ID, "Own", "Name"))(e)
	// Shared with another company, the profile name is left alone.
	e.member(foreign.ID, withEmail(m.Account.Email))
	foreignSCIM, _ := e.scim(foreign)
	before = e.snap([]string{a.ID, foreign.ID}, id)
	for _, actor := range []store.Actor{scimA, foreignSCIM} {
		got, err := e.s.SetName(e.ctx, actor, id, "Not", "Shared")
		if err != nil || got.FamilyName != "FromIdP" {
			e.Errorf("IdP name change of a shared account = %q, %v; want the name kept and no error", got.FamilyName, err)
		}
	}
	e.unchanged(before, "an IdP naming an account shared with another company")
	got = must(e.s.SetName(e.ctx, support, id, "By", "Support"))(e)
	if got.GivenName != "By" {
		e.Errorf("support's name change = %q", got.GivenName)
	}
}
