package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

const membershipCols = `m.org_id, m.account_id, m.user_type, m.subscription, m.reports_role, m.invited_at,
	m.disabled, m.external_id, m.profile, m.created_at, m.updated_at`

func membershipDest(m *store.Membership) []any {
	return []any{textScan{&m.OrgID}, textScan{&m.AccountID}, &m.UserType, &m.Subscription, &m.ReportsRole,
		nullTimeScan{&m.InvitedAt}, &m.Disabled, &m.ExternalID, jsonScan{&m.Profile}, timeScan{&m.CreatedAt}, timeScan{&m.UpdatedAt}}
}

// InsertMembership inserts a membership; an existing one is a conflict on
// "membership", a taken externalId one on "external_id".
func (t *Tx) InsertMembership(ctx context.Context, m store.Membership) error {
	if err := ids(&m.OrgID, &m.AccountID); err != nil {
		return err
	}
	// ON CONFLICT on the primary key first, so an existing membership is
	// "membership" even when its externalId would collide too.
	n, err := t.exec(ctx, "insert membership", `INSERT INTO memberships (org_id, account_id, user_type, subscription,
		reports_role, invited_at, disabled, external_id, profile, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (org_id, account_id) DO NOTHING`,
		m.OrgID, m.AccountID, string(m.UserType), string(m.Subscription), string(m.ReportsRole), t.optTime(m.InvitedAt),
		m.Disabled, m.ExternalID, optJSON(m.Profile), t.time(m.CreatedAt), t.time(m.UpdatedAt))
	if err == nil && n == 0 {
		return &store.ConflictError{Field: "membership"}
	}
	return err
}

// InsertNewAccountMembership inserts the membership of an account inserted in
// this transaction: no membership of it can exist, so the row count is not
// needed and the INSERT may be queued (Pipeliner).
func (t *Tx) InsertNewAccountMembership(ctx context.Context, m store.Membership) error {
	if err := ids(&m.OrgID, &m.AccountID); err != nil {
		return err
	}
	return t.execLater(ctx, "insert membership", `INSERT INTO memberships (org_id, account_id, user_type, subscription,
		reports_role, invited_at, disabled, external_id, profile, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		m.OrgID, m.AccountID, string(m.UserType), string(m.Subscription), string(m.ReportsRole), t.optTime(m.InvitedAt),
		m.Disabled, m.ExternalID, optJSON(m.Profile), t.time(m.CreatedAt), t.time(m.UpdatedAt))
}

// GetMembership returns one membership.
func (t *Tx) GetMembership(ctx context.Context, orgID, accountID string, lock store.Lock) (store.Membership, error) {
	if err := ids(&orgID, &accountID); err != nil {
		return store.Membership{}, err
	}
	var m store.Membership
	err := t.c.QueryRow(ctx, `SELECT `+membershipCols+` FROM memberships m WHERE m.org_id = $1 AND m.account_id = $2`+t.lock(lock, ""),
		orgID, accountID).Scan(membershipDest(&m)...)
	return m, t.err("get membership", err)
}

// UpdateMembership writes every field of m.
func (t *Tx) UpdateMembership(ctx context.Context, m store.Membership) error {
	if err := ids(&m.OrgID, &m.AccountID); err != nil {
		return err
	}
	return t.execOne(ctx, "update membership", `UPDATE memberships SET user_type = $3, subscription = $4, reports_role = $5,
		invited_at = $6, disabled = $7, external_id = $8, profile = $9, updated_at = $10 WHERE org_id = $1 AND account_id = $2`,
		m.OrgID, m.AccountID, string(m.UserType), string(m.Subscription), string(m.ReportsRole), t.optTime(m.InvitedAt),
		m.Disabled, m.ExternalID, optJSON(m.Profile), t.time(m.UpdatedAt))
}

// DeleteMembership deletes a membership; its group memberships go with it
// (group_members references memberships ON DELETE CASCADE).
func (t *Tx) DeleteMembership(ctx context.Context, orgID, accountID string) error {
	if err := ids(&orgID, &accountID); err != nil {
		return err
	}
	return t.execOne(ctx, "delete membership", `DELETE FROM memberships WHERE org_id = $1 AND account_id = $2`, orgID, accountID)
}

// CountEnabledAdmins counts the org's enabled system admins.
func (t *Tx) CountEnabledAdmins(ctx context.Context, orgID string) (int, error) {
	if err := ids(&orgID); err != nil {
		return 0, err
	}
	var n int
	err := t.c.QueryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND user_type = $2 AND NOT disabled`,
		orgID, string(store.UserTypeSystemAdmin)).Scan(&n)
	return n, t.err("count admins", err)
}

const memberFrom = ` FROM memberships m JOIN accounts a ON a.id = m.account_id`

func (t *Tx) queryMember(ctx context.Context, op, where string, a ...any) (store.Member, error) {
	var m store.Member
	err := t.c.QueryRow(ctx, `SELECT `+accountCols+`, `+membershipCols+memberFrom+` WHERE `+where, a...).
		Scan(append(accountDest(&m.Account), membershipDest(&m.Membership)...)...)
	return m, t.err(op, err)
}

// GetMember returns one member of an org.
func (t *Tx) GetMember(ctx context.Context, orgID, accountID string) (store.Member, error) {
	if err := ids(&orgID, &accountID); err != nil {
		return store.Member{}, err
	}
	return t.queryMember(ctx, "get member", `m.org_id = $1 AND m.account_id = $2`, orgID, accountID)
}

// MemberByEmail finds a member of an org by email: an index lookup on the
// accounts' email index, then the memberships primary key.
func (t *Tx) MemberByEmail(ctx context.Context, orgID, email string) (store.Member, error) {
	if err := ids(&orgID); err != nil {
		return store.Member{}, err
	}
	return t.queryMember(ctx, "member by email", `m.org_id = $1 AND `+t.d.Fold("a.email")+` = `+t.d.Fold("$2"), orgID, email)
}

// MemberByExternalID finds a member of an org by the IdP's externalId.
func (t *Tx) MemberByExternalID(ctx context.Context, orgID, externalID string) (store.Member, error) {
	if err := ids(&orgID); err != nil {
		return store.Member{}, err
	}
	if externalID == "" {
		return store.Member{}, store.ErrNotFound
	}
	return t.queryMember(ctx, "member by external id", `m.org_id = $1 AND m.external_id = $2`, orgID, externalID)
}

// statusSQL mirrors store.MemberStatus, one predicate per status.
var statusSQL = map[store.Status]string{
	store.StatusDisabled: `m.disabled`,
	store.StatusActive:   `(NOT m.disabled AND a.activated_at IS NOT NULL)`,
	store.StatusPending:  `(NOT m.disabled AND a.activated_at IS NULL AND m.invited_at IS NOT NULL)`,
	store.StatusInactive: `(NOT m.disabled AND a.activated_at IS NULL AND m.invited_at IS NULL)`,
}

// memberWhere is the WHERE of a member list. The search predicate uses
// exactly the expressions the PostgreSQL trigram indexes are built on.
func memberWhere(orgID string, q store.MemberQuery, a *args) string {
	where := []string{`m.org_id = ` + a.add(orgID)}
	if len(q.Statuses) > 0 {
		var or []string
		for _, s := range q.Statuses {
			if p, ok := statusSQL[s]; ok {
				or = append(or, p)
			}
		}
		if len(or) == 0 {
			or = []string{`1 = 0`}
		}
		where = append(where, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if len(q.UserTypes) > 0 {
		vs := make([]string, len(q.UserTypes))
		for i, v := range q.UserTypes {
			vs[i] = string(v)
		}
		where = append(where, `m.user_type IN (`+a.list(vs)+`)`)
	}
	if len(q.Subscription) > 0 {
		vs := make([]string, len(q.Subscription))
		for i, v := range q.Subscription {
			vs[i] = string(v)
		}
		where = append(where, `m.subscription IN (`+a.list(vs)+`)`)
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		p := a.add(likePattern(s))
		where = append(where, `(lower(a.email) LIKE `+p+` ESCAPE '\' OR lower(a.given_name || ' ' || a.family_name) LIKE `+p+` ESCAPE '\')`)
	}
	return strings.Join(where, ` AND `)
}

// sortKeys are the SQL of each sort column's key. Text keys compare
// byte-wise on both backends (Dialect.Binary), so keyset paging agrees with
// the ORDER BY; the last sign-in is "never" (the epoch) when NULL.
var sortKeys = map[store.MemberSort]string{
	store.SortByName:   `lower(a.given_name || ' ' || a.family_name)`,
	store.SortByEmail:  `lower(a.email)`,
	store.SortByStatus: `CASE WHEN m.disabled THEN 'd' WHEN a.activated_at IS NOT NULL THEN 'a' WHEN m.invited_at IS NOT NULL THEN 'b' ELSE 'c' END`,
	// system_admin before user.
	store.SortByUserType: `m.user_type`,
	// none, contributor, professional, supervision: the order of the licences.
	store.SortBySubscription: `CASE m.subscription WHEN 'none' THEN 'a' WHEN 'contributor' THEN 'b' WHEN 'professional' THEN 'c' ELSE 'd' END`,
}

// neverSignedIn is the last sign-in key of a member who never signed in.
var neverSignedIn = time.Unix(0, 0).UTC()

// sortKey returns the SQL of q's sort key ("" for account id alone).
func (t *Tx) sortKey(q store.MemberQuery, a *args) string {
	if q.Sort == store.SortByLastSignIn {
		return `COALESCE((SELECT max(s.at) FROM sign_ins s WHERE s.account_id = m.account_id AND s.org_id = m.org_id), ` + a.add(t.time(neverSignedIn)) + `)`
	}
	if k, ok := sortKeys[q.Sort]; ok {
		return t.d.Binary(k)
	}
	return ""
}

// ListMembers returns one page of members, sorted by q.Sort then account id,
// the total matching q, and the cursor of the page's last row when more follow.
func (t *Tx) ListMembers(ctx context.Context, orgID string, q store.MemberQuery) ([]store.Member, int, *store.MemberCursor, error) {
	if err := ids(&orgID); err != nil {
		return nil, 0, nil, err
	}
	var a args
	where := memberWhere(orgID, q, &a)
	var total int
	if err := t.c.QueryRow(ctx, `SELECT COUNT(*)`+memberFrom+` WHERE `+where, a...).Scan(&total); err != nil {
		return nil, 0, nil, t.err("count members", err)
	}
	if total == 0 || (q.After == nil && q.Offset >= total) {
		return nil, total, nil, nil
	}
	key := t.sortKey(q, &a)
	cols, order, dir, cmp := ``, `m.account_id`, ``, `>`
	if q.Desc {
		dir, cmp = ` DESC`, `<`
	}
	if key != "" {
		cols, order = `, `+key, key+dir+`, m.account_id`
	}
	if q.After != nil {
		after := q.After.AccountID
		if err := ids(&after); err != nil {
			return nil, total, nil, &store.InvalidError{Field: "cursor", Detail: "the cursor is not one this list gave out"}
		}
		if key == "" {
			where += ` AND m.account_id ` + cmp + ` ` + a.add(after)
		} else {
			var k any = q.After.Key
			if q.Sort == store.SortByLastSignIn {
				k = t.time(q.After.At)
			}
			where += ` AND (` + key + `, m.account_id) ` + cmp + ` (` + a.add(k) + `, ` + a.add(after) + `)`
		}
	}
	page := `SELECT ` + accountCols + `, ` + membershipCols + cols + memberFrom + ` WHERE ` + where + ` ORDER BY ` + order + dir
	n := q.Limit
	if n > 0 {
		page += ` LIMIT ` + a.add(n+1)
	}
	if q.After == nil && q.Offset > 0 {
		if n <= 0 {
			page += ` LIMIT ` + a.add(limit(0))
		}
		page += ` OFFSET ` + a.add(q.Offset)
	}
	var out []store.Member
	var keys []store.MemberCursor
	err := t.queryAll(ctx, "list members", page, a, func(r Rows) error {
		var m store.Member
		var c store.MemberCursor
		dest := append(accountDest(&m.Account), membershipDest(&m.Membership)...)
		switch {
		case key == "":
		case q.Sort == store.SortByLastSignIn:
			dest = append(dest, timeScan{&c.At})
		default:
			dest = append(dest, &c.Key)
		}
		err := r.Scan(dest...)
		c.AccountID = m.Account.ID
		out = append(out, m)
		keys = append(keys, c)
		return err
	})
	if err != nil || n <= 0 || len(out) <= n {
		return out, total, nil, err
	}
	return out[:n], total, &keys[n-1], nil
}
