package store

import (
	"fmt"
	"net/mail"
	"strings"
)

// The account rules of product.md. Each rule is a plain function of rows the
// caller has already loaded (locked) inside its transaction; it returns nil or a
// *RuleError naming the rule, with a sentence an admin can act on.
const (
	RuleSSOEmailLocked     Rule = 1
	RuleEmailSyntax        Rule = 2
	RuleEmailOtherCompany  Rule = 3
	RuleEmailManyOrgs      Rule = 4
	RuleOldEmailRetired    Rule = 5
	RuleSubscriptionAdmins Rule = 6
	RuleReportsRole        Rule = 7
	RuleNames              Rule = 8
	RuleInvitations        Rule = 9
	RuleLockout            Rule = 10
	RulePasswordSignIn     Rule = 11
	RuleSSOTested          Rule = 12
	RuleSessionsEnd        Rule = 13
	RuleOneAccount         Rule = 14
	RuleAudit              Rule = 15
	RuleNotifications      Rule = 16
)

// MaxEmailLength is the longest email accepted (RFC 5321 path limit).
const MaxEmailLength = 254

// ManyOrgs is the number of orgs from which only support may change an account's email (rule 4).
const ManyOrgs = 5

// MaxFailedAttempts is the number of failed password sign-ins in a row that lock an account (rule 10).
const MaxFailedAttempts = 5

// NormalizeEmail trims the address and lower-cases its domain, then checks rule 2:
// a syntactically valid addr-spec, ASCII only, no display name, at most 254 characters.
func NormalizeEmail(email string) (string, error) {
	e := strings.TrimSpace(email)
	switch {
	case e == "":
		return "", refuse(RuleEmailSyntax, "An email address is required.")
	case len(e) > MaxEmailLength:
		return "", refuse(RuleEmailSyntax, "The email address is longer than %d characters.", MaxEmailLength)
	}
	for _, r := range e {
		if r > 0x7e || r < 0x21 {
			return "", refuse(RuleEmailSyntax, "The email address %q may contain only unaccented Latin letters, digits and punctuation, with no spaces.", e)
		}
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" {
		return "", refuse(RuleEmailSyntax, "%q is not a valid email address.", e)
	}
	at := strings.LastIndexByte(e, '@')
	domain := strings.ToLower(e[at+1:])
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", refuse(RuleEmailSyntax, "%q is not a valid email address: the domain needs a dot.", e)
	}
	return e[:at+1] + domain, nil
}

// EmailDomain returns the lower-case domain of a normalized email.
func EmailDomain(email string) string {
	return strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
}

// CanChangeEmail applies rules 1, 3 and 4 to a change of an account's email.
// orgs are all the orgs the account belongs to (locked); adminCompany is the
// acting admin's company (admins only).
//
// An org of another company is never named to an admin or an IdP: the
// answer says "an organization outside your company".
func CanChangeEmail(actor Actor, orgs []Org, adminCompany string) error {
	if actor.Kind == ActorSCIM {
		adminCompany = companyOf(orgs, actor.OrgID)
	}
	for _, o := range orgs {
		if !o.SSOEnabled {
			continue
		}
		if actor.Kind != ActorSupport && o.CompanyID != adminCompany {
			return refuse(RuleSSOEmailLocked, "This person also belongs to an organization outside your company that signs in through SSO; while SSO is enabled there, the email comes from its identity provider. Contact support.")
		}
		return refuse(RuleSSOEmailLocked, "Disable SSO for %s before changing this email: while SSO is enabled the email comes from the identity provider.", o.Name)
	}
	switch actor.Kind {
	case ActorSupport:
		return nil
	case ActorAdmin, ActorSCIM:
		if len(orgs) >= ManyOrgs {
			return refuse(RuleEmailManyOrgs, "This person belongs to %d organizations; only platform support can change their email. Contact support.", len(orgs))
		}
		for _, o := range orgs {
			if o.CompanyID != adminCompany {
				return refuse(RuleEmailOtherCompany, "This person also belongs to an organization outside your company; contact support to change their email.")
			}
		}
		return nil
	default:
		return fmt.Errorf("%w: only an admin, the org's identity provider or support can change an email", ErrForbidden)
	}
}

func companyOf(orgs []Org, orgID string) string {
	for _, o := range orgs {
		if o.ID == orgID {
			return o.CompanyID
		}
	}
	return ""
}

// MembershipChange is a proposed change of a membership's access rights.
type MembershipChange struct {
	UserType     *UserType
	Subscription *Subscription
	ReportsRole  *ReportsRole
	Disabled     *bool
}

// Apply returns m with the change applied.
func (c MembershipChange) Apply(m Membership) Membership {
	if c.UserType != nil {
		m.UserType = *c.UserType
	}
	if c.Subscription != nil {
		m.Subscription = *c.Subscription
	}
	if c.ReportsRole != nil {
		m.ReportsRole = *c.ReportsRole
	}
	if c.Disabled != nil {
		m.Disabled = *c.Disabled
	}
	return m
}

// CheckMembership validates a membership's values and rule 7: a reports role
// other than no_access needs a professional or supervision subscription.
func CheckMembership(m Membership) error {
	switch {
	case !m.UserType.Valid():
		return invalid("userType", "%q is not one of system_admin, user", m.UserType)
	case !m.Subscription.Valid():
		return invalid("subscription", "%q is not one of none, contributor, professional, supervision", m.Subscription)
	case !m.ReportsRole.Valid():
		return invalid("reportsRole", "%q is not one of no_access, viewer, editor", m.ReportsRole)
	}
	if m.ReportsRole != ReportsNoAccess && m.Subscription != SubscriptionProfessional && m.Subscription != SubscriptionSupervision {
		return refuse(RuleReportsRole, "The reports role %s needs a professional or supervision subscription; set the reports role to no access in the same change.", m.ReportsRole)
	}
	return nil
}

// CanChangeMembership applies rule 6 (a system admin cannot change their own
// subscription; an org keeps at least one enabled system admin) and rule 7.
// enabledAdmins is the org's count of enabled system admins before the change.
func CanChangeMembership(actor Actor, before, after Membership, enabledAdmins int) error {
	if err := CheckMembership(after); err != nil {
		return err
	}
	if actor.Kind == ActorAdmin && actor.AccountID == before.AccountID && after.Subscription != before.Subscription {
		return refuse(RuleSubscriptionAdmins, "System admins cannot change their own subscription; ask another system admin.")
	}
	return keepsAnAdmin(before, &after, enabledAdmins)
}

// CanRemoveMember applies rule 6's last-admin half to a removal.
func CanRemoveMember(m Membership, enabledAdmins int) error {
	return keepsAnAdmin(m, nil, enabledAdmins)
}

func keepsAnAdmin(before Membership, after *Membership, enabledAdmins int) error {
	wasAdmin := before.UserType == UserTypeSystemAdmin && !before.Disabled
	isAdmin := after != nil && after.UserType == UserTypeSystemAdmin && !after.Disabled
	if wasAdmin && !isAdmin && enabledAdmins <= 1 {
		return refuse(RuleSubscriptionAdmins, "This is the organization's last enabled system admin; make another person a system admin first.")
	}
	return nil
}

// CanEditName applies rule 8: people edit their own name, the org's IdP may set
// names, support may; admins cannot edit another person's name.
func CanEditName(actor Actor, accountID string) error {
	switch actor.Kind {
	case ActorSelf:
		if actor.AccountID == accountID {
			return nil
		}
	case ActorSCIM, ActorSupport:
		return nil
	case ActorAdmin:
		if actor.AccountID == accountID {
			return nil
		}
	}
	return refuse(RuleNames, "Only the person can change their own name, from their profile.")
}

// CanInvite applies rule 9: orgs with SSO enabled send no invitations; a
// disabled member, or an activated account that has a password, is not
// invited (an account activated through SSO, or whose password another
// company set and lost on joining, has none to sign in with here).
func CanInvite(o Org, a Account, m Membership) error {
	switch {
	case o.SSOEnabled:
		return refuse(RuleInvitations, "%s signs in through SSO, so no invitation is sent; the person signs in through the identity provider.", o.Name)
	case m.Disabled:
		return refuse(RuleInvitations, "This user is disabled; enable them before sending an invitation.")
	case a.ActivatedAt != nil && a.PasswordHash != "":
		return refuse(RuleInvitations, "This account is already active; no invitation is needed.")
	}
	return nil
}

// CanSignInWithPassword applies rules 10 and 11 before a password is checked.
// orgs are the account's orgs.
func CanSignInWithPassword(a Account, orgs []Org) error {
	if a.LockedAt != nil {
		return refuse(RuleLockout, "This account is locked after %d failed sign-ins. Use \"Forgot password\" to get a reset link by email.", MaxFailedAttempts)
	}
	if len(orgs) == 0 {
		return nil
	}
	for _, o := range orgs {
		if !o.SSOEnabled {
			return nil
		}
	}
	return refuse(RulePasswordSignIn, "%s signs in through SSO: enter your company domain to continue with your identity provider.", orgs[0].Name)
}

// CanEnableSSO applies rule 12: only a connection of the org with a recorded
// successful test sign-in can be used.
func CanEnableSSO(o Org, c Connection) error {
	if c.OrgID != o.ID {
		return ErrNotFound
	}
	if c.TestedAt == nil {
		return refuse(RuleSSOTested, "Run a successful test sign-in with %q before enabling SSO, so nobody is locked out.", c.Name)
	}
	return nil
}
