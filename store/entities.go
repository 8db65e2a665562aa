package store

import (
	"encoding/json"
	"time"
)

// Company is a legal entity. It owns one or more organizations.
type Company struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Org is a tenant (an "instance" or a "property").
type Org struct {
	ID        string
	CompanyID string
	Name      string
	Slug      string
	// Domains are the verified sign-in domains, lower-case. A domain belongs to one org.
	Domains []string
	// SSOEnabled is true while the org signs in through SSOConnectionID (rule 11, 12).
	SSOEnabled      bool
	SSOConnectionID string
	// SenderName and SenderEmail are the org's custom email sender; empty means the default.
	SenderName  string
	SenderEmail string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Account is one person's global sign-in identity. Email is unique across the
// service, case-insensitively.
type Account struct {
	ID         string
	Email      string
	GivenName  string
	FamilyName string
	// PasswordHash is an argon2id PHC string; empty when no password was set.
	PasswordHash string
	// PasswordCompanyID is the company that vouches for the password: ""
	// when the person set it through a link mailed to the current email,
	// else the company whose IdP or admin set it, or changed the email under
	// it. Such a password never opens another company's org: it is cleared
	// when the account joins one (docs/security-model.md).
	PasswordCompanyID string
	// ActivatedAt is set when the person first set a password from a link or signed in through SSO.
	ActivatedAt    *time.Time
	FailedAttempts int
	LockedAt       *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// UserType is a member's kind in one org.
type UserType string

// Subscription is a member's licence in one org.
type Subscription string

// ReportsRole is a member's access to reports in one org.
type ReportsRole string

// GroupRole is a member's role inside one group.
type GroupRole string

// Values of the membership enums.
const (
	UserTypeSystemAdmin UserType = "system_admin"
	UserTypeUser        UserType = "user"

	SubscriptionNone         Subscription = "none"
	SubscriptionContributor  Subscription = "contributor"
	SubscriptionProfessional Subscription = "professional"
	SubscriptionSupervision  Subscription = "supervision"

	ReportsNoAccess ReportsRole = "no_access"
	ReportsViewer   ReportsRole = "viewer"
	ReportsEditor   ReportsRole = "editor"

	GroupRoleMember  GroupRole = "member"
	GroupRoleManager GroupRole = "manager"
)

// Valid reports whether the value is one of the defined ones.
func (t UserType) Valid() bool { return t == UserTypeSystemAdmin || t == UserTypeUser }

// Valid reports whether the value is one of the defined ones.
func (s Subscription) Valid() bool {
	switch s {
	case SubscriptionNone, SubscriptionContributor, SubscriptionProfessional, SubscriptionSupervision:
		return true
	}
	return false
}

// Valid reports whether the value is one of the defined ones.
func (r ReportsRole) Valid() bool {
	return r == ReportsNoAccess || r == ReportsViewer || r == ReportsEditor
}

// Valid reports whether the value is one of the defined ones.
func (r GroupRole) Valid() bool { return r == GroupRoleMember || r == GroupRoleManager }

// Membership is an account's place in one org.
type Membership struct {
	OrgID        string
	AccountID    string
	UserType     UserType
	Subscription Subscription
	ReportsRole  ReportsRole
	InvitedAt    *time.Time
	Disabled     bool
	// ExternalID is the org's IdP identifier for this person (SCIM externalId).
	ExternalID string
	// Profile is the org's view of the person as its IdP sent it (a SCIM User
	// document without id/meta/password). Only this org sees it.
	Profile   json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Status is the derived state of a member in an org.
type Status string

// The four statuses of product.md.
const (
	StatusActive   Status = "active"
	StatusPending  Status = "pending"
	StatusInactive Status = "inactive"
	StatusDisabled Status = "disabled"
)

// Valid reports whether the value is one of the defined ones.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusPending, StatusInactive, StatusDisabled:
		return true
	}
	return false
}

// MemberStatus derives the status of product.md from a membership and its account.
func MemberStatus(a Account, m Membership) Status {
	switch {
	case m.Disabled:
		return StatusDisabled
	case a.ActivatedAt != nil:
		return StatusActive
	case m.InvitedAt != nil:
		return StatusPending
	default:
		return StatusInactive
	}
}

// Member is an account seen through its membership in one org.
type Member struct {
	Account    Account
	Membership Membership
}

// Status is the member's derived status.
func (m Member) Status() Status { return MemberStatus(m.Account, m.Membership) }

// Group is a set of an org's members. DisplayName is unique per org, case-insensitively.
type Group struct {
	ID          string
	OrgID       string
	DisplayName string
	ExternalID  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GroupMember is one account's place in a group.
type GroupMember struct {
	AccountID string
	Role      GroupRole
}

// ConnectionKind is the protocol of an SSO connection.
type ConnectionKind string

// Connection kinds.
const (
	ConnectionSAML ConnectionKind = "saml"
	ConnectionOIDC ConnectionKind = "oidc"
)

// Connection is an org's SSO link to its IdP. Settings is the protocol package's
// own JSON (IdP metadata, issuer, client id); secrets inside it are the protocol
// package's to encrypt.
type Connection struct {
	ID       string
	OrgID    string
	Kind     ConnectionKind
	Name     string
	Settings json.RawMessage
	// TestedAt is the time of the last successful test sign-in (rule 12).
	TestedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SCIMToken is a bearer credential of one org's IdP. The secret is never stored:
// Hash is the SHA-256 of it.
type SCIMToken struct {
	ID         string
	OrgID      string
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Session is a signed-in browser, valid for one org. ID is the SHA-256 of the cookie value.
type Session struct {
	Hash         []byte
	AccountID    string
	OrgID        string
	ConnectionID string
	CreatedAt    time.Time
	LastSeenAt   time.Time
	ExpiresAt    time.Time
}

// TokenKind is the purpose of a one-time link token.
type TokenKind string

// One-time token kinds.
const (
	TokenInvitation TokenKind = "invitation"
	TokenReset      TokenKind = "reset"
)

// OneTimeToken is an invitation or password-reset link. Hash is the SHA-256 of the secret.
type OneTimeToken struct {
	Hash      []byte
	Kind      TokenKind
	AccountID string
	OrgID     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// SignIn is one successful sign-in, for the activation history.
type SignIn struct {
	AccountID    string
	OrgID        string
	Method       string // "password" or "sso"
	ConnectionID string
	At           time.Time
}

// ActorKind says who makes a change.
type ActorKind string

// Actor kinds.
const (
	ActorAdmin   ActorKind = "admin"   // an org's system admin, signed in
	ActorSelf    ActorKind = "self"    // the person themself
	ActorSCIM    ActorKind = "scim"    // an org's SCIM token
	ActorSupport ActorKind = "support" // platform support (operator CLI)
	ActorSystem  ActorKind = "system"  // idbridge itself (sign-in, outbox)
)

// Actor is who makes a change, explicit in every mutating call.
type Actor struct {
	Kind ActorKind
	// AccountID is the admin's or the person's account (admin, self).
	AccountID string
	// OrgID is the admin's org or the SCIM token's org (admin, scim).
	OrgID string
	// TokenID is the SCIM token (scim).
	TokenID string
	// Name is shown in the audit log: the token's name, the operator's name.
	Name string
}

// AdminActor is an org's system admin.
func AdminActor(orgID, accountID string) Actor {
	return Actor{Kind: ActorAdmin, OrgID: orgID, AccountID: accountID}
}

// SelfActor is the signed-in person acting on their own account.
func SelfActor(accountID string) Actor { return Actor{Kind: ActorSelf, AccountID: accountID} }

// SCIMActor is an org's SCIM token.
func SCIMActor(t SCIMToken) Actor {
	return Actor{Kind: ActorSCIM, OrgID: t.OrgID, TokenID: t.ID, Name: t.Name}
}

// SupportActor is platform support using the operator CLI.
func SupportActor(name string) Actor { return Actor{Kind: ActorSupport, Name: name} }

// SystemActor is idbridge itself.
var SystemActor = Actor{Kind: ActorSystem, Name: "idbridge"}

// AuditEntry is one recorded change (rule 15). Before and After never hold secrets.
type AuditEntry struct {
	Seq        int64
	OrgID      string // empty for service-wide changes
	Actor      Actor
	Action     string // e.g. "member.create", "account.email_change"
	TargetType string
	TargetID   string
	Before     json.RawMessage
	After      json.RawMessage
	At         time.Time
}

// OutboxMessage is a notification written with the change that caused it (rule 16)
// and delivered afterwards.
type OutboxMessage struct {
	ID          string
	OrgID       string
	Kind        string // "invitation", "password_reset", "email_changed"
	FromName    string // the org's custom sender, empty for the default
	FromEmail   string
	To          string
	Subject     string
	Body        string
	CreatedAt   time.Time
	Attempts    int
	NextAttempt time.Time
	SentAt      *time.Time
	// FailedAt is set when delivery was given up (permanent error or too many attempts).
	FailedAt  *time.Time
	LastError string
	// LeaseHolder is the claim that holds the message (ClaimOutbox); only it
	// may record the delivery.
	LeaseHolder string
}
