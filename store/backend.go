package store

import (
	"context"
	"slices"
	"time"
)

// Lock says how a read inside a transaction locks the rows it returns.
// PostgreSQL maps LockShare to FOR KEY SHARE and LockUpdate to FOR UPDATE;
// SQLite serializes writers (BEGIN IMMEDIATE) and ignores it.
type Lock int

// Lock modes.
const (
	LockNone Lock = iota
	LockShare
	LockUpdate
)

// Backend is a database that Store runs on. Implementations: store/postgres, store/sqlite.
type Backend interface {
	// InTx runs fn inside one read-write transaction and commits when fn returns nil.
	// A serialization failure or deadlock is returned as an error wrapping ErrRetry
	// (Store retries). fn may run again on retry, so it must not keep state across calls.
	InTx(ctx context.Context, fn func(Tx) error) error
	// ReadTx runs fn inside a read-only transaction (or on a consistent snapshot).
	ReadTx(ctx context.Context, fn func(Tx) error) error
	// Ready returns nil when the database answers and every migration is applied.
	Ready(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// MemberQuery selects an org's members for a list page.
type MemberQuery struct {
	// Search matches a case-insensitive substring of the email, given name,
	// family name, or "given family".
	Search       string
	Statuses     []Status
	UserTypes    []UserType
	Subscription []Subscription
	// Sort orders the result by a column, then by account id (stable); ""
	// orders by account id alone. Desc reverses both.
	Sort MemberSort
	Desc bool
	// After, when set, starts the page after that row of the same Sort and
	// Desc (keyset paging; Offset is then ignored). ListMembersPage hands it
	// out as an opaque cursor.
	After *MemberCursor
	// Offset and Limit page the result.
	Offset int
	Limit  int
}

// MemberSort is a column a member list is sorted by.
type MemberSort string

// The columns of the Users page.
const (
	SortByID           MemberSort = ""
	SortByName         MemberSort = "name"
	SortByEmail        MemberSort = "email"
	SortByStatus       MemberSort = "status"
	SortByUserType     MemberSort = "type"
	SortBySubscription MemberSort = "subscription"
	SortByLastSignIn   MemberSort = "lastSignIn"
)

// MemberSorts lists the sort columns, for messages and forms.
var MemberSorts = []MemberSort{SortByName, SortByEmail, SortByStatus, SortByUserType, SortBySubscription, SortByLastSignIn}

// Valid reports whether the value is one of the defined ones.
func (s MemberSort) Valid() bool { return s == SortByID || slices.Contains(MemberSorts, s) }

// MemberCursor is the position of one row in a sorted member list: the sort
// key as the database computed it (Key for text keys, At for the last
// sign-in, the zero time for never) and the account id.
type MemberCursor struct {
	Key       string
	At        time.Time
	AccountID string
}

// GroupQuery selects an org's groups.
type GroupQuery struct {
	// DisplayName, when set, matches exactly (case-insensitive).
	DisplayName string
	Offset      int
	Limit       int
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	OrgID string // empty: service-wide entries and all orgs
	// BeforeSeq, when > 0, returns entries with Seq < BeforeSeq.
	BeforeSeq int64
	Limit     int
}

// Tx is the storage of one transaction: rows in, rows out, no rules.
//
// Errors: a missing row is ErrNotFound; a unique violation is a *ConflictError
// naming the field ("email", "slug", "domain", "group_name", "membership",
// "group_member", "connection_name", "token"); a lost database is ErrUnavailable;
// a serialization failure or deadlock wraps ErrRetry. Every method that takes
// orgID only sees that org's rows. Ids are UUID strings; a malformed id is ErrNotFound.
// Times are stored with microsecond precision, in UTC.
//
// InsertAccount, InsertToken, InsertSignIn, InsertAudit and InsertOutbox may
// be pipelined (PostgreSQL sends them with the next statement
// or the commit): their error can then come from a later call, and InTx
// returns it. Callers only pass those errors on; they never branch on them
// inside the transaction.
type Tx interface {
	LinkTx  // identity links: backend_links.go
	OAuthTx // applications and their tokens: backend_oauth.go
	SSOTx
	SCIMTx    // SCIM searches: backend_scim.go
	DiagTx    // SCIM request log and sign-in attempts: scimlog.go
	BulkJobTx // bulk jobs: bulkjobs.go
	InsertCompany(ctx context.Context, c Company) error
	GetCompany(ctx context.Context, id string) (Company, error)
	ListCompanies(ctx context.Context) ([]Company, error)

	// InsertOrg inserts the org and its domains (conflicts: "slug", "domain").
	InsertOrg(ctx context.Context, o Org) error
	GetOrg(ctx context.Context, id string, lock Lock) (Org, error)
	// UpdateOrg writes every field of o (domains replaced) and UpdatedAt.
	UpdateOrg(ctx context.Context, o Org) error
	// ListOrgs lists orgs ordered by name then id; companyID "" lists all.
	ListOrgs(ctx context.Context, companyID string) ([]Org, error)
	// OrgByDomain finds the org owning a verified domain (lower-case).
	OrgByDomain(ctx context.Context, domain string) (Org, error)
	// AccountOrgs returns the orgs the account is a member of, ordered by id, locked as asked.
	AccountOrgs(ctx context.Context, accountID string, lock Lock) ([]Org, error)

	InsertAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, id string, lock Lock) (Account, error)
	// AccountByEmail matches the email case-insensitively.
	AccountByEmail(ctx context.Context, email string, lock Lock) (Account, error)
	// UpdateAccount writes every field of a.
	UpdateAccount(ctx context.Context, a Account) error
	// ReserveSignInFailure counts one failed password sign-in of an email
	// without an account (key: SHA-256 of the folded email) unless max are
	// counted already; it returns the count, or ErrNotFound when max were.
	ReserveSignInFailure(ctx context.Context, key []byte, max int, now time.Time) (int, error)
	// ReleaseSignInFailure takes one count back (an attempt never checked).
	ReleaseSignInFailure(ctx context.Context, key []byte) error
	// GetSetting reads a setting of the service (ErrNotFound when unset).
	GetSetting(ctx context.Context, name string) (string, error)
	// PutSetting writes a setting of the service.
	PutSetting(ctx context.Context, name, value string, now time.Time) error

	// InsertMembership conflicts with "membership" when the account is already a member.
	InsertMembership(ctx context.Context, m Membership) error
	// InsertNewAccountMembership inserts the membership of an account inserted
	// in this transaction (so none exists yet); it may be queued (Pipeliner),
	// a taken externalId then failing the transaction with a conflict on
	// "external_id".
	InsertNewAccountMembership(ctx context.Context, m Membership) error
	GetMembership(ctx context.Context, orgID, accountID string, lock Lock) (Membership, error)
	// UpdateMembership writes every field of m.
	UpdateMembership(ctx context.Context, m Membership) error
	// DeleteMembership also deletes the account's group memberships in that org.
	DeleteMembership(ctx context.Context, orgID, accountID string) error
	// CountEnabledAdmins counts enabled system admins of the org.
	CountEnabledAdmins(ctx context.Context, orgID string) (int, error)
	GetMember(ctx context.Context, orgID, accountID string) (Member, error)
	// MemberByEmail matches the email case-insensitively, in one org.
	MemberByEmail(ctx context.Context, orgID, email string) (Member, error)
	MemberByExternalID(ctx context.Context, orgID, externalID string) (Member, error)
	// LastSignIns returns the latest sign-in time in the org of each of
	// accountIDs that signed in there.
	LastSignIns(ctx context.Context, orgID string, accountIDs []string) (map[string]time.Time, error)
	// GroupNamesOf returns the display names of the org's groups each of
	// accountIDs belongs to, ordered by name (case-insensitively).
	GroupNamesOf(ctx context.Context, orgID string, accountIDs []string) (map[string][]string, error)
	// ListMembers returns one page and the total count matching q, and, when
	// more rows follow the page, the cursor of its last row (else nil).
	ListMembers(ctx context.Context, orgID string, q MemberQuery) ([]Member, int, *MemberCursor, error)

	// InsertGroup conflicts with "group_name" (case-insensitive per org).
	InsertGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, orgID, id string, lock Lock) (Group, error)
	UpdateGroup(ctx context.Context, g Group) error
	// TouchGroup sets only a group's UpdatedAt (after a change of its member
	// rows); it may be queued (Pipeliner), so it holds the row's lock only
	// until the commit that goes with it.
	TouchGroup(ctx context.Context, orgID, id string, at time.Time) error
	// DeleteGroup deletes the group and its member rows.
	DeleteGroup(ctx context.Context, orgID, id string) error
	ListGroups(ctx context.Context, orgID string, q GroupQuery) ([]Group, int, error)
	// UpsertGroupMembers adds members or updates their role; the group must
	// exist (read it first) and the accounts be members of the org, else an
	// *InvalidError on members. The writes may be queued (Pipeliner): a
	// missing account then fails the transaction.
	UpsertGroupMembers(ctx context.Context, orgID, groupID string, members []GroupMember) error
	// RemoveGroupMembers removes the listed accounts; absent ones are ignored.
	RemoveGroupMembers(ctx context.Context, orgID, groupID string, accountIDs []string) error
	// RemoveAllGroupMembers empties the group.
	RemoveAllGroupMembers(ctx context.Context, orgID, groupID string) error
	// ListGroupMembers pages members ordered by account id, after afterAccountID ("" = from the start).
	ListGroupMembers(ctx context.Context, orgID, groupID, afterAccountID string, limit int) ([]GroupMember, error)
	// GroupsOfMember lists the groups (and roles) of one account in one org, ordered by display name.
	GroupsOfMember(ctx context.Context, orgID, accountID string) ([]Group, []GroupRole, error)
	// MembersOfOrg returns those of accountIDs that are members of the org.
	MembersOfOrg(ctx context.Context, orgID string, accountIDs []string) ([]string, error)

	// InsertConnection conflicts with "connection_name" (per org).
	InsertConnection(ctx context.Context, c Connection) error
	GetConnection(ctx context.Context, orgID, id string, lock Lock) (Connection, error)
	// GetConnectionByID finds a connection without knowing its org (for /saml/<id>/acs).
	GetConnectionByID(ctx context.Context, id string) (Connection, error)
	UpdateConnection(ctx context.Context, c Connection) error
	DeleteConnection(ctx context.Context, orgID, id string) error
	ListConnections(ctx context.Context, orgID string) ([]Connection, error)

	InsertSCIMToken(ctx context.Context, t SCIMToken) error
	// SCIMTokenByHash finds a token (revoked ones too) by the SHA-256 of its secret.
	SCIMTokenByHash(ctx context.Context, hash []byte) (SCIMToken, error)
	GetSCIMToken(ctx context.Context, orgID, id string) (SCIMToken, error)
	UpdateSCIMToken(ctx context.Context, t SCIMToken) error
	// ListSCIMTokens lists an org's tokens, newest first.
	ListSCIMTokens(ctx context.Context, orgID string) ([]SCIMToken, error)

	InsertSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, hash []byte) (Session, error)
	UpdateSession(ctx context.Context, s Session) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessions ends an account's sessions in one org ("" = every org),
	// but the one whose hash is keep (nil: none kept), and returns how many.
	DeleteSessions(ctx context.Context, accountID, orgID string, keep []byte) (int, error)

	InsertToken(ctx context.Context, t OneTimeToken) error
	// ConsumeToken marks an unused, unexpired token of that kind used at now and returns it;
	// otherwise ErrNotFound. Two concurrent calls never both succeed.
	ConsumeToken(ctx context.Context, hash []byte, kind TokenKind, now time.Time) (OneTimeToken, error)
	// DeleteTokens deletes an account's unused tokens of a kind ("" org = every
	// org; "" kind = every kind).
	DeleteTokens(ctx context.Context, accountID, orgID string, kind TokenKind) error

	InsertSignIn(ctx context.Context, s SignIn) error
	// RecentSignIns returns the account's latest sign-ins in one org, newest first.
	RecentSignIns(ctx context.Context, accountID, orgID string, limit int) ([]SignIn, error)

	// InsertAudit appends an entry; the backend assigns Seq.
	InsertAudit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)

	// InsertEvent appends an event; the backend assigns its position. It may be queued (Pipeliner).
	InsertEvent(ctx context.Context, e Event) error
	// ListEvents returns the events after q.After in feed order, only those
	// of transactions older than every running one (EventPos).
	ListEvents(ctx context.Context, q EventQuery) ([]Event, error)
	// EventHead is the position of the newest event ListEvents shows now (zero: none).
	EventHead(ctx context.Context) (EventPos, error)
	// DeleteEventsBefore deletes events older than t and returns how many.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int, error)
	WebhookTx // webhooks.go

	InsertOutbox(ctx context.Context, m OutboxMessage) error
	// ClaimOutbox picks up to limit messages that are unsent, not failed and due
	// (NextAttempt <= now), moves their NextAttempt to now+lease so no other
	// replica claims them meanwhile, sets their LeaseHolder to holder, and
	// returns them. Concurrent claimers never get the same message
	// (PostgreSQL: FOR UPDATE SKIP LOCKED).
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, holder string, limit int) ([]OutboxMessage, error)
	// UpdateOutbox writes Attempts, NextAttempt, SentAt, FailedAt and LastError
	// while the message is unsent, not given up and held by m.LeaseHolder;
	// otherwise it writes nothing and answers ErrNotFound.
	UpdateOutbox(ctx context.Context, m OutboxMessage) error
	GetOutbox(ctx context.Context, id string) (OutboxMessage, error)
	// ListOutbox lists messages to one address (case-insensitive), oldest first ("" = all).
	ListOutbox(ctx context.Context, to string) ([]OutboxMessage, error)
}
