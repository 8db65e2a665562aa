package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// NewMember is the input of CreateMember.
type NewMember struct {
	Email        string
	GivenName    string
	FamilyName   string
	UserType     UserType     // default user
	Subscription Subscription // default none
	ReportsRole  ReportsRole  // default no_access
	ExternalID   string
	// Profile is the org's IdP view of the person (SCIM), stored with the membership.
	Profile  json.RawMessage
	Disabled bool
	// Invite sends an invitation, unless the org signs in through SSO (rule 9).
	Invite bool
	// Password, when set by the org's IdP, becomes a new account's password,
	// unless the org signs in through SSO.
	Password string
}

func (in *NewMember) defaults() {
	if in.UserType == "" {
		in.UserType = UserTypeUser
	}
	if in.Subscription == "" {
		in.Subscription = SubscriptionNone
	}
	if in.ReportsRole == "" {
		in.ReportsRole = ReportsNoAccess
	}
	in.GivenName, in.FamilyName = strings.TrimSpace(in.GivenName), strings.TrimSpace(in.FamilyName)
}

// CreateMember adds a person to an org. When an account with that email exists
// it gets a membership; otherwise a new account is created (rule 14). The
// membership, any invitation and its email, and the audit entry are written in
// one transaction.
func (s *Store) CreateMember(ctx context.Context, actor Actor, orgID string, in NewMember) (Member, error) {
	in.defaults()
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return Member{}, err
	}
	if err := checkNames(in.GivenName, in.FamilyName); err != nil {
		return Member{}, err
	}
	var pwHash string
	if in.Password != "" {
		if err := CheckPassword(in.Password); err != nil {
			return Member{}, err
		}
		if pwHash, err = s.HashPassword(ctx, in.Password); err != nil {
			return Member{}, err
		}
	}
	var out Member
	create := func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, orgID, LockShare)
		if err != nil {
			return err
		}
		m := Membership{OrgID: orgID, UserType: in.UserType, Subscription: in.Subscription, ReportsRole: in.ReportsRole,
			ExternalID: in.ExternalID, Profile: in.Profile, Disabled: in.Disabled, CreatedAt: now, UpdatedAt: now}
		if err := CheckMembership(m); err != nil {
			return err
		}
		acc, err := tx.AccountByEmail(ctx, email, LockUpdate)
		newAccount := isNotFound(err)
		switch {
		case newAccount:
			acc = Account{ID: newID(), Email: email, GivenName: in.GivenName, FamilyName: in.FamilyName, CreatedAt: now, UpdatedAt: now}
			if pwHash != "" && !org.SSOEnabled {
				ok, err := idpMayOwnPassword(ctx, tx, org.CompanyID, email)
				if err != nil {
					return err
				}
				if ok {
					acc.PasswordHash = pwHash
					if actor.Kind != ActorSupport { // support vouches platform-wide
						acc.PasswordCompanyID = org.CompanyID
					}
				}
			}
			if err := tx.InsertAccount(ctx, acc); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := joinCompany(ctx, tx, now, actor, org, &acc); err != nil {
				return err
			}
		}
		m.AccountID = acc.ID
		invite := in.Invite && CanInvite(org, acc, m) == nil
		if invite {
			m.InvitedAt = &now
		}
		insert := tx.InsertMembership
		if newAccount { // no membership of it exists: the insert can wait for the commit
			insert = tx.InsertNewAccountMembership
		}
		if err := insert(ctx, m); err != nil {
			return err
		}
		if invite {
			if err := s.writeInvitation(ctx, tx, now, org, acc); err != nil {
				return err
			}
		}
		out = Member{Account: acc, Membership: m}
		return audit(ctx, tx, now, actor, orgID, "member.create", "account", acc.ID, nil, memberView(out))
	}
	// Two creates of one new email race on the unique index: the loser retries
	// once and then finds the winner's account (rule 14).
	err = s.write(ctx, create)
	var ce *ConflictError
	if errors.As(err, &ce) && ce.Field == "email" {
		err = s.write(ctx, create)
	}
	return out, err
}

func checkNames(given, family string) error {
	if len(given) > 200 || len(family) > 200 {
		return invalid("name", "names are at most 200 characters")
	}
	return nil
}

// memberView is what the audit log records of a member: no password hash.
func memberView(m Member) map[string]any {
	return map[string]any{
		"email": m.Account.Email, "givenName": m.Account.GivenName, "familyName": m.Account.FamilyName,
		"userType": m.Membership.UserType, "subscription": m.Membership.Subscription,
		"reportsRole": m.Membership.ReportsRole, "disabled": m.Membership.Disabled,
		"externalId": m.Membership.ExternalID, "invitedAt": m.Membership.InvitedAt,
	}
}

// GetMember returns one member of an org.
func (s *Store) GetMember(ctx context.Context, orgID, accountID string) (m Member, err error) {
	err = s.read(ctx, func(tx Tx) error { m, err = tx.GetMember(ctx, orgID, accountID); return err })
	return m, err
}

// MemberByEmail finds an org's member by email, case-insensitively.
func (s *Store) MemberByEmail(ctx context.Context, orgID, email string) (m Member, err error) {
	err = s.read(ctx, func(tx Tx) error { m, err = tx.MemberByEmail(ctx, orgID, strings.TrimSpace(email)); return err })
	return m, err
}

// MemberByExternalID finds an org's member by the IdP's externalId.
func (s *Store) MemberByExternalID(ctx context.Context, orgID, externalID string) (m Member, err error) {
	err = s.read(ctx, func(tx Tx) error { m, err = tx.MemberByExternalID(ctx, orgID, externalID); return err })
	return m, err
}

// MaxPageSize caps every list page.
const MaxPageSize = 1000

// ListMembers returns one page of an org's members and the total matching q.
func (s *Store) ListMembers(ctx context.Context, orgID string, q MemberQuery) (ms []Member, total int, err error) {
	p, err := s.listMembers(ctx, orgID, q)
	return p.Members, p.Total, err
}

// MemberPage is one page of a member list.
type MemberPage struct {
	Members []Member
	// Total is the number of members matching the query, on every page.
	Total int
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

// ListMembersPage returns the page of an org's members that follows cursor
// ("" for the first page; q.After and q.Offset are ignored). A cursor only
// continues the list of the same sort and order it came from.
func (s *Store) ListMembersPage(ctx context.Context, orgID string, q MemberQuery, cursor string) (MemberPage, error) {
	q.Offset, q.After = 0, nil
	if cursor != "" {
		c, err := decodeCursor(cursor, q)
		if err != nil {
			return MemberPage{}, err
		}
		q.After = &c
	}
	return s.listMembers(ctx, orgID, q)
}

// checkMemberQuery bounds q's paging and checks its filters and sort.
func checkMemberQuery(q *MemberQuery) error {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = min(max(q.Limit, 50), MaxPageSize)
	}
	q.Offset = max(q.Offset, 0)
	q.Search = strings.TrimSpace(q.Search)
	for _, st := range q.Statuses {
		if !st.Valid() {
			return invalid("status", "%q is not one of active, pending, inactive, disabled", st)
		}
	}
	if !q.Sort.Valid() {
		return invalid("sort", "%q is not one of %s", q.Sort, joinSorts())
	}
	return nil
}

func (s *Store) listMembers(ctx context.Context, orgID string, q MemberQuery) (MemberPage, error) {
	if err := checkMemberQuery(&q); err != nil {
		return MemberPage{}, err
	}
	var p MemberPage
	var next *MemberCursor
	err := s.read(ctx, func(tx Tx) (err error) {
		p.Members, p.Total, next, err = tx.ListMembers(ctx, orgID, q)
		return err
	})
	if err != nil {
		return MemberPage{}, err
	}
	if next != nil {
		p.Next = encodeCursor(*next, q)
	}
	return p, nil
}

func joinSorts() string {
	out := make([]string, len(MemberSorts))
	for i, s := range MemberSorts {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// cursorJSON is a cursor's content; the sort and order it belongs to are in it.
type cursorJSON struct {
	Sort MemberSort `json:"s,omitempty"`
	Desc bool       `json:"d,omitempty"`
	Key  string     `json:"k,omitempty"`
	At   int64      `json:"t,omitempty"` // unix microseconds
	ID   string     `json:"i"`
}

func encodeCursor(c MemberCursor, q MemberQuery) string {
	j := cursorJSON{Sort: q.Sort, Desc: q.Desc, Key: c.Key, ID: c.AccountID}
	if q.Sort == SortByLastSignIn {
		j.At = c.At.UnixMicro()
	}
	b, _ := json.Marshal(j)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, q MemberQuery) (MemberCursor, error) {
	var j cursorJSON
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 4096 || json.Unmarshal(b, &j) != nil || j.ID == "" {
		return MemberCursor{}, invalid("cursor", "the cursor is not one this list gave out; start again from the first page")
	}
	if j.Sort != q.Sort || j.Desc != q.Desc {
		return MemberCursor{}, invalid("cursor", "the cursor belongs to another sort or order; start again from the first page")
	}
	c := MemberCursor{Key: j.Key, AccountID: j.ID}
	if q.Sort == SortByLastSignIn {
		c.At = time.UnixMicro(j.At).UTC()
	}
	return c, nil
}

// MemberExtras are the columns of an export beyond the member's own rows.
type MemberExtras struct {
	// Groups are the display names of each account's groups in the org.
	Groups map[string][]string
	// LastSignIn is each account's latest sign-in in the org (absent: never).
	LastSignIn map[string]time.Time
}

// GetMemberExtras returns the groups and last sign-in of several members of
// an org (a page of an export), in two statements.
func (s *Store) GetMemberExtras(ctx context.Context, orgID string, accountIDs []string) (x MemberExtras, err error) {
	err = s.read(ctx, func(tx Tx) error {
		if x.Groups, err = tx.GroupNamesOf(ctx, orgID, accountIDs); err != nil {
			return err
		}
		x.LastSignIn, err = tx.LastSignIns(ctx, orgID, accountIDs)
		return err
	})
	return x, err
}

// MemberDetails is the admin side panel: the member, their groups and last two sign-ins.
type MemberDetails struct {
	Member     Member
	Groups     []Group
	GroupRoles []GroupRole
	SignIns    []SignIn
}

// GetMemberDetails returns the side-panel view of one member.
func (s *Store) GetMemberDetails(ctx context.Context, orgID, accountID string) (d MemberDetails, err error) {
	err = s.read(ctx, func(tx Tx) error {
		if d.Member, err = tx.GetMember(ctx, orgID, accountID); err != nil {
			return err
		}
		if d.Groups, d.GroupRoles, err = tx.GroupsOfMember(ctx, orgID, accountID); err != nil {
			return err
		}
		d.SignIns, err = tx.RecentSignIns(ctx, accountID, orgID, 2)
		return err
	})
	return d, err
}

// MemberUpdate is a change of one membership; nil fields stay.
type MemberUpdate struct {
	MembershipChange
	ExternalID *string
	Profile    *json.RawMessage
}

// UpdateMember changes a member's access rights, disabled flag, externalId or
// IdP profile (rules 6, 7, 13).
func (s *Store) UpdateMember(ctx context.Context, actor Actor, orgID, accountID string, in MemberUpdate) (Member, error) {
	var out Member
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		var err error
		out, err = s.updateMember(ctx, tx, now, actor, orgID, accountID, in)
		return err
	})
	return out, err
}

func (s *Store) updateMember(ctx context.Context, tx Tx, now time.Time, actor Actor, orgID, accountID string, in MemberUpdate) (Member, error) {
	if err := authorize(ctx, tx, actor, orgID); err != nil {
		return Member{}, err
	}
	before, err := tx.GetMembership(ctx, orgID, accountID, LockUpdate)
	if err != nil {
		return Member{}, err
	}
	after := in.Apply(before)
	if in.ExternalID != nil {
		after.ExternalID = *in.ExternalID
	}
	if in.Profile != nil {
		after.Profile = *in.Profile
	}
	admins := 0
	if before.UserType == UserTypeSystemAdmin && !before.Disabled {
		// Lock the org so two admins demoting each other cannot both pass.
		if _, err := tx.GetOrg(ctx, orgID, LockUpdate); err != nil {
			return Member{}, err
		}
		if admins, err = tx.CountEnabledAdmins(ctx, orgID); err != nil {
			return Member{}, err
		}
	}
	if err := CanChangeMembership(actor, before, after, admins); err != nil {
		return Member{}, err
	}
	after.UpdatedAt = now
	if err := tx.UpdateMembership(ctx, after); err != nil {
		return Member{}, err
	}
	if after.Disabled && !before.Disabled {
		if err := endSignIns(ctx, tx, accountID, orgID); err != nil { // rule 13
			return Member{}, err
		}
	}
	acc, err := tx.GetAccount(ctx, accountID, LockNone)
	if err != nil {
		return Member{}, err
	}
	b, a := Member{Account: acc, Membership: before}, Member{Account: acc, Membership: after}
	return a, audit(ctx, tx, now, actor, orgID, "member.update", "account", accountID, memberView(b), memberView(a))
}

// BulkResult is the outcome of a bulk change for one member.
type BulkResult struct {
	AccountID string
	Err       error
}

// UpdateMembers applies one change to several members, each in its own
// transaction, and reports per member what was refused.
func (s *Store) UpdateMembers(ctx context.Context, actor Actor, orgID string, accountIDs []string, in MemberUpdate) []BulkResult {
	out := make([]BulkResult, 0, len(accountIDs))
	for _, id := range accountIDs {
		_, err := s.UpdateMember(ctx, actor, orgID, id, in)
		out = append(out, BulkResult{AccountID: id, Err: err})
	}
	return out
}

// UpdateMatchingMembers applies one change to every member matching q ("all N
// users" across pages), in pages, and reports per member.
func (s *Store) UpdateMatchingMembers(ctx context.Context, actor Actor, orgID string, q MemberQuery, in MemberUpdate) ([]BulkResult, error) {
	// Another org's actor must not learn the org's account ids from the results.
	if err := s.read(ctx, func(tx Tx) error { return authorize(ctx, tx, actor, orgID) }); err != nil {
		return nil, err
	}
	q.Offset, q.Limit, q.After = 0, MaxPageSize, nil
	if err := checkMemberQuery(&q); err != nil {
		return nil, err
	}
	var ids []string
	for {
		var page []Member
		var next *MemberCursor
		err := s.read(ctx, func(tx Tx) (err error) { page, _, next, err = tx.ListMembers(ctx, orgID, q); return err })
		if err != nil {
			return nil, err
		}
		for _, m := range page {
			ids = append(ids, m.Account.ID)
		}
		if next == nil {
			break
		}
		q.After = next
	}
	return s.UpdateMembers(ctx, actor, orgID, ids, in), nil
}

// RemoveMember removes a person from an org: the membership, its group
// memberships, its sessions there (rule 13). The account stays.
func (s *Store) RemoveMember(ctx context.Context, actor Actor, orgID, accountID string) error {
	return s.RemoveMemberIf(ctx, actor, orgID, accountID, nil)
}

// RemoveMemberIf is RemoveMember when pre, if set, accepts the member as it
// is inside the transaction, its rows locked (an HTTP If-Match).
func (s *Store) RemoveMemberIf(ctx context.Context, actor Actor, orgID, accountID string, pre func(Member) error) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		m, err := tx.GetMembership(ctx, orgID, accountID, LockUpdate)
		if err != nil {
			return err
		}
		if pre != nil {
			acc, err := tx.GetAccount(ctx, accountID, LockUpdate)
			if err != nil {
				return err
			}
			if err := pre(Member{Account: acc, Membership: m}); err != nil {
				return err
			}
		}
		admins := 0
		if m.UserType == UserTypeSystemAdmin && !m.Disabled {
			if _, err := tx.GetOrg(ctx, orgID, LockUpdate); err != nil {
				return err
			}
			if admins, err = tx.CountEnabledAdmins(ctx, orgID); err != nil {
				return err
			}
		}
		if err := CanRemoveMember(m, admins); err != nil {
			return err
		}
		acc, err := tx.GetAccount(ctx, accountID, LockNone)
		if err != nil {
			return err
		}
		if err := endSignIns(ctx, tx, accountID, orgID); err != nil {
			return err
		}
		if err := tx.DeleteTokens(ctx, accountID, orgID, TokenInvitation); err != nil {
			return err
		}
		if err := tx.DeleteMembership(ctx, orgID, accountID); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "member.remove", "account", accountID, memberView(Member{Account: acc, Membership: m}), nil)
	})
}

// Invite sends (or resends) an invitation to a member (rule 9). Earlier
// invitation links of that member stop working.
func (s *Store) Invite(ctx context.Context, actor Actor, orgID, accountID string) (Member, error) {
	var out Member
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, orgID, LockShare)
		if err != nil {
			return err
		}
		m, err := tx.GetMembership(ctx, orgID, accountID, LockUpdate)
		if err != nil {
			return err
		}
		acc, err := tx.GetAccount(ctx, accountID, LockNone)
		if err != nil {
			return err
		}
		if err := CanInvite(org, acc, m); err != nil {
			return err
		}
		if err := tx.DeleteTokens(ctx, acc.ID, org.ID, TokenInvitation); err != nil {
			return err
		}
		if err := s.writeInvitation(ctx, tx, now, org, acc); err != nil {
			return err
		}
		m.InvitedAt, m.UpdatedAt = &now, now
		if err := tx.UpdateMembership(ctx, m); err != nil {
			return err
		}
		out = Member{Account: acc, Membership: m}
		return audit(ctx, tx, now, actor, orgID, "member.invite", "account", accountID, nil, map[string]any{"invitedAt": now})
	})
	return out, err
}

// writeInvitation writes a fresh invitation token and its email (rule 16).
func (s *Store) writeInvitation(ctx context.Context, tx Tx, now time.Time, org Org, acc Account) error {
	secret, hash, err := NewSecret("inv_")
	if err != nil {
		return err
	}
	t := OneTimeToken{Hash: hash, Kind: TokenInvitation, AccountID: acc.ID, OrgID: org.ID, CreatedAt: now, ExpiresAt: now.Add(s.opt.InvitationTTL)}
	if err := tx.InsertToken(ctx, t); err != nil {
		return err
	}
	return tx.InsertOutbox(ctx, s.invitationMessage(now, org, acc, secret))
}
