package store_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
)

// checkRule fails unless err is nil when want is 0, or a *RuleError of rule want.
func checkRule(t *testing.T, err error, want store.Rule) {
	t.Helper()
	if got := store.RuleOf(err); got != want || (want == 0 && err != nil) {
		t.Errorf("got error %v (rule %d), want rule %d", err, got, want)
	}
	if want != 0 && !errors.Is(err, store.ErrRule) {
		t.Errorf("got %v, want it to wrap store.ErrRule", err)
	}
}

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", store.MaxEmailLength-len("@example.com")) + "@example.com"
	tests := []struct {
		name, in, want string
		rule           store.Rule
	}{
		{name: "plain", in: "alice@example.com", want: "alice@example.com"},
		{name: "domain lower-cased, local part kept", in: "Alice.Smith@Example.COM", want: "Alice.Smith@example.com"},
		{name: "surrounding spaces trimmed", in: "  bob@example.com\t", want: "bob@example.com"},
		{name: "plus tag and subdomains", in: "a.b+tag@Sub.Example.co.uk", want: "a.b+tag@sub.example.co.uk"},
		{name: "254 characters", in: long, want: long},
		{name: "255 characters", in: "a" + long, rule: store.RuleEmailSyntax},
		{name: "empty", in: "", rule: store.RuleEmailSyntax},
		{name: "only spaces", in: "   ", rule: store.RuleEmailSyntax},
		{name: "no at", in: "alice.example.com", rule: store.RuleEmailSyntax},
		{name: "two ats", in: "alice@@example.com", rule: store.RuleEmailSyntax},
		{name: "no local part", in: "@example.com", rule: store.RuleEmailSyntax},
		{name: "no domain", in: "alice@", rule: store.RuleEmailSyntax},
		{name: "domain without dot", in: "alice@localhost", rule: store.RuleEmailSyntax},
		{name: "domain with double dot", in: "alice@example..com", rule: store.RuleEmailSyntax},
		{name: "domain with trailing dot", in: "alice@example.com.", rule: store.RuleEmailSyntax},
		{name: "accented local part", in: "élodie@example.com", rule: store.RuleEmailSyntax},
		{name: "accented domain", in: "alice@exämple.com", rule: store.RuleEmailSyntax},
		{name: "cyrillic", in: "алиса@example.com", rule: store.RuleEmailSyntax},
		{name: "CJK", in: "用户@例子.中国", rule: store.RuleEmailSyntax},
		{name: "space inside", in: "ali ce@example.com", rule: store.RuleEmailSyntax},
		{name: "tab inside", in: "ali\tce@example.com", rule: store.RuleEmailSyntax},
		{name: "display name", in: "Alice <alice@example.com>", rule: store.RuleEmailSyntax},
		{name: "display name without space", in: "Alice<alice@example.com>", rule: store.RuleEmailSyntax},
		{name: "angle brackets only", in: "<alice@example.com>", rule: store.RuleEmailSyntax},
		{name: "quoted local part", in: `"alice"@example.com`, rule: store.RuleEmailSyntax},
		{name: "comment", in: "alice(work)@example.com", rule: store.RuleEmailSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.NormalizeEmail(tc.in)
			checkRule(t, err, tc.rule)
			if got != tc.want {
				t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEmailDomain(t *testing.T) {
	if got, want := store.EmailDomain("Alice@Example.COM"), "example.com"; got != want {
		t.Errorf("EmailDomain = %q, want %q", got, want)
	}
}

func TestCanChangeEmail(t *testing.T) {
	a1 := store.Org{ID: "a1", CompanyID: "A", Name: "A one"}
	a2 := store.Org{ID: "a2", CompanyID: "A", Name: "A two"}
	a3 := store.Org{ID: "a3", CompanyID: "A", Name: "A three"}
	a4 := store.Org{ID: "a4", CompanyID: "A", Name: "A four"}
	a5 := store.Org{ID: "a5", CompanyID: "A", Name: "A five"}
	b1 := store.Org{ID: "b1", CompanyID: "B", Name: "B one"}
	sso := store.Org{ID: "a6", CompanyID: "A", Name: "A sso", SSOEnabled: true}
	admin := store.AdminActor("a1", "acc-admin")
	scim := store.Actor{Kind: store.ActorSCIM, OrgID: "a1", TokenID: "tok"}
	support := store.SupportActor("ops")
	tests := []struct {
		name         string
		actor        store.Actor
		orgs         []store.Org
		adminCompany string
		rule         store.Rule
		forbidden    bool
	}{
		{name: "admin, all orgs in own company", actor: admin, orgs: []store.Org{a1, a2}, adminCompany: "A"},
		{name: "admin, four orgs", actor: admin, orgs: []store.Org{a1, a2, a3, a4}, adminCompany: "A"},
		{name: "admin, five orgs (rule 4)", actor: admin, orgs: []store.Org{a1, a2, a3, a4, a5}, adminCompany: "A", rule: store.RuleEmailManyOrgs},
		{name: "admin, org of another company (rule 3)", actor: admin, orgs: []store.Org{a1, b1}, adminCompany: "A", rule: store.RuleEmailOtherCompany},
		{name: "admin, SSO enabled (rule 1)", actor: admin, orgs: []store.Org{a1, sso}, adminCompany: "A", rule: store.RuleSSOEmailLocked},
		{name: "admin, SSO wins over rule 3", actor: admin, orgs: []store.Org{b1, sso}, adminCompany: "A", rule: store.RuleSSOEmailLocked},
		{name: "scim, own company", actor: scim, orgs: []store.Org{a1, a2}},
		{name: "scim, another company (rule 3)", actor: scim, orgs: []store.Org{a1, b1}, rule: store.RuleEmailOtherCompany},
		{name: "scim, five orgs (rule 4)", actor: scim, orgs: []store.Org{a1, a2, a3, a4, a5}, rule: store.RuleEmailManyOrgs},
		{name: "scim, SSO enabled (rule 1)", actor: scim, orgs: []store.Org{a1, sso}, rule: store.RuleSSOEmailLocked},
		{name: "support, five orgs of two companies", actor: support, orgs: []store.Org{a1, a2, a3, a4, b1}},
		{name: "support, SSO enabled (rule 1)", actor: support, orgs: []store.Org{a1, sso}, rule: store.RuleSSOEmailLocked},
		{name: "self is forbidden", actor: store.SelfActor("acc"), orgs: []store.Org{a1}, forbidden: true},
		{name: "system is forbidden", actor: store.SystemActor, orgs: []store.Org{a1}, forbidden: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CanChangeEmail(tc.actor, tc.orgs, tc.adminCompany)
			if tc.forbidden {
				if !errors.Is(err, store.ErrForbidden) {
					t.Errorf("got %v, want ErrForbidden", err)
				}
				return
			}
			checkRule(t, err, tc.rule)
		})
	}
}

// An admin or IdP is never told the name of another company's org.
func TestCanChangeEmailNamesNoOtherCompany(t *testing.T) {
	a1 := store.Org{ID: "a1", CompanyID: "A", Name: "A one"}
	b1 := store.Org{ID: "b1", CompanyID: "B", Name: "Beta Secret Org"}
	bSSO := store.Org{ID: "b2", CompanyID: "B", Name: "Beta SSO Org", SSOEnabled: true}
	for _, actor := range []store.Actor{store.AdminActor("a1", "acc-admin"), {Kind: store.ActorSCIM, OrgID: "a1", TokenID: "tok"}} {
		for _, orgs := range [][]store.Org{{a1, b1}, {a1, bSSO}} {
			err := store.CanChangeEmail(actor, orgs, "A")
			if err == nil || strings.Contains(err.Error(), "Beta") || !strings.Contains(err.Error(), "an organization outside your company") {
				t.Errorf("%s, orgs %s: got %v, want a refusal naming no org of B", actor.Kind, orgs[1].Name, err)
			}
		}
	}
}

func TestCheckMembership(t *testing.T) {
	tests := []struct {
		name    string
		m       store.Membership
		rule    store.Rule
		invalid string
	}{
		{name: "defaults", m: member(store.UserTypeUser, store.SubscriptionNone, store.ReportsNoAccess)},
		{name: "admin professional editor", m: member(store.UserTypeSystemAdmin, store.SubscriptionProfessional, store.ReportsEditor)},
		{name: "supervision viewer", m: member(store.UserTypeUser, store.SubscriptionSupervision, store.ReportsViewer)},
		{name: "contributor no access", m: member(store.UserTypeUser, store.SubscriptionContributor, store.ReportsNoAccess)},
		{name: "none viewer", m: member(store.UserTypeUser, store.SubscriptionNone, store.ReportsViewer), rule: store.RuleReportsRole},
		{name: "contributor editor", m: member(store.UserTypeUser, store.SubscriptionContributor, store.ReportsEditor), rule: store.RuleReportsRole},
		{name: "bad user type", m: member("owner", store.SubscriptionNone, store.ReportsNoAccess), invalid: "userType"},
		{name: "bad subscription", m: member(store.UserTypeUser, "gold", store.ReportsNoAccess), invalid: "subscription"},
		{name: "bad reports role", m: member(store.UserTypeUser, store.SubscriptionNone, "admin"), invalid: "reportsRole"},
		{name: "empty values", m: store.Membership{}, invalid: "userType"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CheckMembership(tc.m)
			if tc.invalid != "" {
				var ie *store.InvalidError
				if !errors.As(err, &ie) || ie.Field != tc.invalid || !errors.Is(err, store.ErrInvalid) {
					t.Errorf("got %v, want *InvalidError on %s", err, tc.invalid)
				}
				return
			}
			checkRule(t, err, tc.rule)
		})
	}
}

func member(ut store.UserType, sub store.Subscription, rr store.ReportsRole) store.Membership {
	return store.Membership{OrgID: "o1", AccountID: "acc", UserType: ut, Subscription: sub, ReportsRole: rr}
}

func TestCanChangeMembership(t *testing.T) {
	admin := member(store.UserTypeSystemAdmin, store.SubscriptionProfessional, store.ReportsViewer)
	user := member(store.UserTypeUser, store.SubscriptionProfessional, store.ReportsViewer)
	disabledAdmin := admin
	disabledAdmin.Disabled = true
	self := store.AdminActor("o1", "acc")
	other := store.AdminActor("o1", "acc-other")
	sub := func(s store.Subscription) store.MembershipChange { return store.MembershipChange{Subscription: &s} }
	tests := []struct {
		name          string
		actor         store.Actor
		before        store.Membership
		change        store.MembershipChange
		enabledAdmins int
		rule          store.Rule
	}{
		{name: "admin changes own subscription", actor: self, before: admin, change: sub(store.SubscriptionSupervision), enabledAdmins: 2, rule: store.RuleSubscriptionAdmins},
		{name: "admin keeps own subscription, changes own reports role", actor: self, before: admin, change: store.MembershipChange{ReportsRole: new(store.ReportsEditor)}, enabledAdmins: 2},
		{name: "admin sets own subscription to the same value", actor: self, before: admin, change: sub(store.SubscriptionProfessional), enabledAdmins: 2},
		{name: "another admin changes an admin's subscription", actor: other, before: admin, change: sub(store.SubscriptionSupervision), enabledAdmins: 2},
		{name: "support changes an admin's subscription", actor: store.SupportActor("ops"), before: admin, change: sub(store.SubscriptionSupervision), enabledAdmins: 1},
		{name: "scim changes an admin's subscription", actor: store.Actor{Kind: store.ActorSCIM, OrgID: "o1"}, before: admin, change: sub(store.SubscriptionSupervision), enabledAdmins: 1},
		{name: "demote the last enabled admin", actor: other, before: admin, change: store.MembershipChange{UserType: new(store.UserTypeUser)}, enabledAdmins: 1, rule: store.RuleSubscriptionAdmins},
		{name: "demote oneself as last admin", actor: self, before: admin, change: store.MembershipChange{UserType: new(store.UserTypeUser)}, enabledAdmins: 1, rule: store.RuleSubscriptionAdmins},
		{name: "disable the last enabled admin", actor: store.SupportActor("ops"), before: admin, change: store.MembershipChange{Disabled: new(true)}, enabledAdmins: 1, rule: store.RuleSubscriptionAdmins},
		{name: "demote one of two admins", actor: other, before: admin, change: store.MembershipChange{UserType: new(store.UserTypeUser)}, enabledAdmins: 2},
		{name: "disable one of two admins", actor: other, before: admin, change: store.MembershipChange{Disabled: new(true)}, enabledAdmins: 2},
		{name: "demote a disabled admin", actor: other, before: disabledAdmin, change: store.MembershipChange{UserType: new(store.UserTypeUser)}, enabledAdmins: 1},
		{name: "promote a user with no admin left", actor: store.SupportActor("ops"), before: user, change: store.MembershipChange{UserType: new(store.UserTypeSystemAdmin)}},
		{name: "lower subscription keeping viewer", actor: other, before: user, change: sub(store.SubscriptionContributor), rule: store.RuleReportsRole},
		{name: "lower subscription to none keeping viewer", actor: other, before: user, change: sub(store.SubscriptionNone), rule: store.RuleReportsRole},
		{name: "lower subscription with reports back to no_access", actor: other, before: user, change: store.MembershipChange{Subscription: new(store.SubscriptionContributor), ReportsRole: new(store.ReportsNoAccess)}},
		{name: "professional to supervision keeping viewer", actor: other, before: user, change: sub(store.SubscriptionSupervision)},
		{name: "raise reports role without subscription", actor: other, before: member(store.UserTypeUser, store.SubscriptionContributor, store.ReportsNoAccess), change: store.MembershipChange{ReportsRole: new(store.ReportsEditor)}, rule: store.RuleReportsRole},
		{name: "raise subscription and reports role together", actor: other, before: member(store.UserTypeUser, store.SubscriptionNone, store.ReportsNoAccess), change: store.MembershipChange{Subscription: new(store.SubscriptionProfessional), ReportsRole: new(store.ReportsEditor)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			after := tc.change.Apply(tc.before)
			checkRule(t, store.CanChangeMembership(tc.actor, tc.before, after, tc.enabledAdmins), tc.rule)
		})
	}
	t.Run("invalid value", func(t *testing.T) {
		err := store.CanChangeMembership(other, user, store.MembershipChange{UserType: new(store.UserType("root"))}.Apply(user), 2)
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
}

func TestMembershipChangeApply(t *testing.T) {
	before := member(store.UserTypeUser, store.SubscriptionNone, store.ReportsNoAccess)
	got := store.MembershipChange{}.Apply(before)
	if !reflect.DeepEqual(got, before) {
		t.Errorf("empty change: got %+v, want %+v", got, before)
	}
	got = store.MembershipChange{UserType: new(store.UserTypeSystemAdmin), Subscription: new(store.SubscriptionSupervision),
		ReportsRole: new(store.ReportsEditor), Disabled: new(true)}.Apply(before)
	want := before
	want.UserType, want.Subscription, want.ReportsRole, want.Disabled = store.UserTypeSystemAdmin, store.SubscriptionSupervision, store.ReportsEditor, true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("full change: got %+v, want %+v", got, want)
	}
}

func TestCanRemoveMember(t *testing.T) {
	admin := member(store.UserTypeSystemAdmin, store.SubscriptionNone, store.ReportsNoAccess)
	disabled := admin
	disabled.Disabled = true
	tests := []struct {
		name   string
		m      store.Membership
		admins int
		rule   store.Rule
	}{
		{name: "last enabled admin", m: admin, admins: 1, rule: store.RuleSubscriptionAdmins},
		{name: "one of two admins", m: admin, admins: 2},
		{name: "disabled admin", m: disabled, admins: 1},
		{name: "user", m: member(store.UserTypeUser, store.SubscriptionNone, store.ReportsNoAccess), admins: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRule(t, store.CanRemoveMember(tc.m, tc.admins), tc.rule) })
	}
}

func TestCanEditName(t *testing.T) {
	tests := []struct {
		name  string
		actor store.Actor
		rule  store.Rule
	}{
		{name: "self, own name", actor: store.SelfActor("acc")},
		{name: "self, someone else", actor: store.SelfActor("acc-other"), rule: store.RuleNames},
		{name: "admin, own name", actor: store.AdminActor("o1", "acc")},
		{name: "admin, another person", actor: store.AdminActor("o1", "acc-other"), rule: store.RuleNames},
		{name: "scim", actor: store.Actor{Kind: store.ActorSCIM, OrgID: "o1"}},
		{name: "support", actor: store.SupportActor("ops")},
		{name: "system", actor: store.SystemActor, rule: store.RuleNames},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRule(t, store.CanEditName(tc.actor, "acc"), tc.rule) })
	}
}

func TestCanInvite(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	org := store.Org{ID: "o1", Name: "Hotel"}
	ssoOrg := org
	ssoOrg.SSOEnabled = true
	m := member(store.UserTypeUser, store.SubscriptionNone, store.ReportsNoAccess)
	disabled := m
	disabled.Disabled = true
	invited := m
	invited.InvitedAt = &now
	tests := []struct {
		name string
		org  store.Org
		acc  store.Account
		m    store.Membership
		rule store.Rule
	}{
		{name: "first invitation", org: org, m: m},
		{name: "resend to a pending member", org: org, m: invited},
		{name: "SSO org", org: ssoOrg, m: m, rule: store.RuleInvitations},
		{name: "disabled member", org: org, m: disabled, rule: store.RuleInvitations},
		{name: "active account", org: org, acc: store.Account{ActivatedAt: &now, PasswordHash: "h"}, m: m, rule: store.RuleInvitations},
		{name: "active account without a password", org: org, acc: store.Account{ActivatedAt: &now}, m: m},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRule(t, store.CanInvite(tc.org, tc.acc, tc.m), tc.rule) })
	}
}

func TestCanSignInWithPassword(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	plain := store.Org{ID: "o1", Name: "Plain"}
	sso := store.Org{ID: "o2", Name: "SSO", SSOEnabled: true}
	sso2 := store.Org{ID: "o3", Name: "SSO two", SSOEnabled: true}
	tests := []struct {
		name string
		acc  store.Account
		orgs []store.Org
		rule store.Rule
	}{
		{name: "no org", acc: store.Account{}},
		{name: "password org", orgs: []store.Org{plain}},
		{name: "one password org among SSO orgs", orgs: []store.Org{sso, plain, sso2}},
		{name: "only SSO orgs", orgs: []store.Org{sso, sso2}, rule: store.RulePasswordSignIn},
		{name: "locked", acc: store.Account{LockedAt: &now, FailedAttempts: 5}, orgs: []store.Org{plain}, rule: store.RuleLockout},
		{name: "locked wins over SSO", acc: store.Account{LockedAt: &now}, orgs: []store.Org{sso}, rule: store.RuleLockout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRule(t, store.CanSignInWithPassword(tc.acc, tc.orgs), tc.rule) })
	}
}

func TestCanEnableSSO(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	org := store.Org{ID: "o1"}
	tests := []struct {
		name     string
		c        store.Connection
		rule     store.Rule
		notFound bool
	}{
		{name: "tested", c: store.Connection{OrgID: "o1", Name: "Okta", TestedAt: &now}},
		{name: "never tested", c: store.Connection{OrgID: "o1", Name: "Okta"}, rule: store.RuleSSOTested},
		{name: "another org's connection", c: store.Connection{OrgID: "o2", TestedAt: &now}, notFound: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CanEnableSSO(org, tc.c)
			if tc.notFound {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
				return
			}
			checkRule(t, err, tc.rule)
		})
	}
}

func TestMemberStatus(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		activated bool
		invited   bool
		disabled  bool
		want      store.Status
	}{
		{name: "never invited, not activated", want: store.StatusInactive},
		{name: "invited", invited: true, want: store.StatusPending},
		{name: "activated after invitation", invited: true, activated: true, want: store.StatusActive},
		{name: "activated through SSO", activated: true, want: store.StatusActive},
		{name: "disabled", disabled: true, want: store.StatusDisabled},
		{name: "disabled wins over active", activated: true, invited: true, disabled: true, want: store.StatusDisabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a store.Account
			var m store.Membership
			if tc.activated {
				a.ActivatedAt = &now
			}
			if tc.invited {
				m.InvitedAt = &now
			}
			m.Disabled = tc.disabled
			if got := store.MemberStatus(a, m); got != tc.want {
				t.Errorf("MemberStatus = %s, want %s", got, tc.want)
			}
			if got := (store.Member{Account: a, Membership: m}).Status(); got != tc.want {
				t.Errorf("Member.Status = %s, want %s", got, tc.want)
			}
			if !tc.want.Valid() {
				t.Errorf("%s.Valid() = false", tc.want)
			}
		})
	}
	if store.Status("deleted").Valid() {
		t.Error(`Status("deleted").Valid() = true`)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
	}{
		{name: "rule", err: &store.RuleError{Rule: 1, Detail: "x"}, target: store.ErrRule},
		{name: "conflict", err: &store.ConflictError{Field: "email"}, target: store.ErrConflict},
		{name: "invalid", err: &store.InvalidError{Field: "email"}, target: store.ErrInvalid},
		{name: "bad credentials", err: store.ErrBadCredentials, target: store.ErrUnauthenticated},
		{name: "bad token", err: store.ErrBadToken, target: store.ErrUnauthenticated},
		{name: "link", err: store.ErrLinkInvalid, target: store.ErrUnauthenticated},
		{name: "session", err: store.ErrSessionExpired, target: store.ErrUnauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.target) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.target)
			}
		})
	}
	if got := store.RuleOf(errors.New("x")); got != 0 {
		t.Errorf("RuleOf(plain error) = %d, want 0", got)
	}
}

func TestOutboxBackoff(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {7, 32 * time.Minute}, {8, time.Hour}, {12, time.Hour},
	}
	for _, tc := range tests {
		if got := store.OutboxBackoff(tc.n); got != tc.want {
			t.Errorf("OutboxBackoff(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}
