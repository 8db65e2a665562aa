package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/idbridge/idbridge/store"
)

const groupCols = `g.id, g.org_id, g.display_name, g.external_id, g.created_at, g.updated_at`

func groupDest(g *store.Group) []any {
	return []any{textScan{&g.ID}, textScan{&g.OrgID}, &g.DisplayName, &g.ExternalID, timeScan{&g.CreatedAt}, timeScan{&g.UpdatedAt}}
}

// InsertGroup inserts a group; a taken name (case-insensitive, per org) is a conflict on "group_name".
func (t *Tx) InsertGroup(ctx context.Context, g store.Group) error {
	if err := ids(&g.ID, &g.OrgID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert group", `INSERT INTO groups (id, org_id, display_name, external_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, g.ID, g.OrgID, g.DisplayName, g.ExternalID, t.time(g.CreatedAt), t.time(g.UpdatedAt))
	return err
}

// GetGroup returns one group of an org.
func (t *Tx) GetGroup(ctx context.Context, orgID, groupID string, lock store.Lock) (store.Group, error) {
	if err := ids(&orgID, &groupID); err != nil {
		return store.Group{}, err
	}
	var g store.Group
	err := t.c.QueryRow(ctx, `SELECT `+groupCols+` FROM groups g WHERE g.org_id = $1 AND g.id = $2`+t.lock(lock, ""),
		orgID, groupID).Scan(groupDest(&g)...)
	return g, t.err("get group", err)
}

// UpdateGroup writes the name, externalId and UpdatedAt of g.
func (t *Tx) UpdateGroup(ctx context.Context, g store.Group) error {
	if err := ids(&g.OrgID, &g.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update group", `UPDATE groups SET display_name = $3, external_id = $4, updated_at = $5
		WHERE org_id = $1 AND id = $2`, g.OrgID, g.ID, g.DisplayName, g.ExternalID, t.time(g.UpdatedAt))
}

// TouchGroup sets only updated_at (a member change). It may be queued
// (Pipeliner): the caller has read the group in this transaction already.
func (t *Tx) TouchGroup(ctx context.Context, orgID, groupID string, at time.Time) error {
	if err := ids(&orgID, &groupID); err != nil {
		return err
	}
	return t.execLater(ctx, "touch group", `UPDATE groups SET updated_at = $3 WHERE org_id = $1 AND id = $2`,
		orgID, groupID, t.time(at))
}

// DeleteGroup deletes a group; its member rows go with it (ON DELETE CASCADE).
func (t *Tx) DeleteGroup(ctx context.Context, orgID, groupID string) error {
	if err := ids(&orgID, &groupID); err != nil {
		return err
	}
	return t.execOne(ctx, "delete group", `DELETE FROM groups WHERE org_id = $1 AND id = $2`, orgID, groupID)
}

// ListGroups returns one page of an org's groups by name, and the total.
func (t *Tx) ListGroups(ctx context.Context, orgID string, q store.GroupQuery) ([]store.Group, int, error) {
	if err := ids(&orgID); err != nil {
		return nil, 0, err
	}
	var a args
	where := ` FROM groups g WHERE g.org_id = ` + a.add(orgID)
	if q.DisplayName != "" {
		where += ` AND ` + t.d.Fold("g.display_name") + ` = ` + t.d.Fold(a.add(q.DisplayName))
	}
	var total int
	if err := t.c.QueryRow(ctx, `SELECT COUNT(*)`+where, a...).Scan(&total); err != nil {
		return nil, 0, t.err("count groups", err)
	}
	if total == 0 || q.Offset >= total {
		return nil, total, nil
	}
	q2 := `SELECT ` + groupCols + where + ` ORDER BY ` + t.d.Fold("g.display_name") + `, g.id LIMIT ` + a.add(limit(q.Limit)) +
		` OFFSET ` + a.add(max(q.Offset, 0))
	var out []store.Group
	err := t.queryAll(ctx, "list groups", q2, a, func(r Rows) error {
		var g store.Group
		err := r.Scan(groupDest(&g)...)
		out = append(out, g)
		return err
	})
	return out, total, err
}

// UpsertGroupMembers adds members or updates their role. The group must be
// the org's (else store.ErrNotFound); every account must be a member of the
// org (else *store.InvalidError on "members"), which the foreign key from
// group_members to memberships also enforces.
func (t *Tx) UpsertGroupMembers(ctx context.Context, orgID, groupID string, members []store.GroupMember) error {
	if err := ids(&orgID, &groupID); err != nil {
		return err
	}
	// One row per account (the last role wins): an upsert may not touch a row twice.
	roles := make(map[string]store.GroupRole, len(members))
	var order []string
	for _, m := range members {
		accountID, err := id(m.AccountID)
		if err != nil {
			return &store.InvalidError{Field: "members", Detail: "\"" + m.AccountID + "\" is not a member of this organization"}
		}
		if _, ok := roles[accountID]; !ok {
			order = append(order, accountID)
		}
		roles[accountID] = m.Role
	}
	err := chunks(order, func(part []string) error {
		a := args{groupID, orgID}
		q := `INSERT INTO group_members (group_id, org_id, account_id, role) VALUES `
		for i, accountID := range part {
			if i > 0 {
				q += `, `
			}
			q += `($1, $2, ` + a.add(accountID) + `, ` + a.add(string(roles[accountID])) + `)`
		}
		q += ` ON CONFLICT (group_id, account_id) DO UPDATE SET role = excluded.role`
		// Queued when the Conn pipelines (the row count is not needed): it
		// goes with the next statement or the commit, failing the transaction.
		if p, ok := t.c.(Pipeliner); ok && !t.readOnly {
			return p.Queue(ctx, func(err error) error { return notOrgMember(t.err("upsert group members", err)) }, q, a...)
		}
		_, err := t.exec(ctx, "upsert group members", q, a...)
		return err
	})
	return notOrgMember(err)
}

// notOrgMember is the error of a group member row whose account is not a
// member of the org (a foreign key failure); other errors pass.
func notOrgMember(err error) error {
	if errors.Is(err, ErrForeignKey) {
		return &store.InvalidError{Field: "members", Detail: "an account is not a member of this organization"}
	}
	return err
}

// RemoveGroupMembers removes the listed accounts from a group; absent ones are ignored.
func (t *Tx) RemoveGroupMembers(ctx context.Context, orgID, groupID string, accountIDs []string) error {
	if err := ids(&orgID, &groupID); err != nil {
		return err
	}
	return chunks(validIDs(accountIDs), func(part []string) error {
		a := args{orgID, groupID}
		_, err := t.exec(ctx, "remove group members", `DELETE FROM group_members WHERE org_id = $1 AND group_id = $2
			AND account_id IN (`+a.list(part)+`)`, a...)
		return err
	})
}

// RemoveAllGroupMembers empties a group.
func (t *Tx) RemoveAllGroupMembers(ctx context.Context, orgID, groupID string) error {
	if err := ids(&orgID, &groupID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "remove all group members", `DELETE FROM group_members WHERE org_id = $1 AND group_id = $2`, orgID, groupID)
	return err
}

// ListGroupMembers pages a group's members by account id, after afterAccountID.
func (t *Tx) ListGroupMembers(ctx context.Context, orgID, groupID, afterAccountID string, n int) ([]store.GroupMember, error) {
	if err := ids(&orgID, &groupID); err != nil {
		return nil, err
	}
	a := args{orgID, groupID}
	q := `SELECT account_id, role FROM group_members WHERE org_id = $1 AND group_id = $2`
	if afterAccountID != "" {
		if err := ids(&afterAccountID); err != nil {
			return nil, err
		}
		q += ` AND account_id > ` + a.add(afterAccountID)
	}
	q += ` ORDER BY account_id LIMIT ` + a.add(limit(n))
	var out []store.GroupMember
	err := t.queryAll(ctx, "list group members", q, a, func(r Rows) error {
		var m store.GroupMember
		err := r.Scan(textScan{&m.AccountID}, &m.Role)
		out = append(out, m)
		return err
	})
	return out, err
}

// GroupsOfMember lists one account's groups in an org, by name, with its role in each.
func (t *Tx) GroupsOfMember(ctx context.Context, orgID, accountID string) ([]store.Group, []store.GroupRole, error) {
	if err := ids(&orgID, &accountID); err != nil {
		return nil, nil, err
	}
	var gs []store.Group
	var roles []store.GroupRole
	err := t.queryAll(ctx, "groups of member", `SELECT `+groupCols+`, gm.role FROM group_members gm
		JOIN groups g ON g.id = gm.group_id WHERE gm.org_id = $1 AND gm.account_id = $2
		ORDER BY `+t.d.Fold("g.display_name")+`, g.id`, args{orgID, accountID}, func(r Rows) error {
		var g store.Group
		var role store.GroupRole
		err := r.Scan(append(groupDest(&g), &role)...)
		gs, roles = append(gs, g), append(roles, role)
		return err
	})
	return gs, roles, err
}

// MembersOfOrg returns those of accountIDs that are members of the org, as the caller spelled them.
func (t *Tx) MembersOfOrg(ctx context.Context, orgID string, accountIDs []string) ([]string, error) {
	if err := ids(&orgID); err != nil {
		return nil, err
	}
	spelled := make(map[string][]string, len(accountIDs))
	var canon []string
	for _, s := range accountIDs {
		if v, err := id(s); err == nil {
			if _, ok := spelled[v]; !ok {
				canon = append(canon, v)
			}
			spelled[v] = append(spelled[v], s)
		}
	}
	var out []string
	err := chunks(canon, func(part []string) error {
		a := args{orgID}
		return t.queryAll(ctx, "members of org", `SELECT account_id FROM memberships WHERE org_id = $1
			AND account_id IN (`+a.list(part)+`) ORDER BY account_id`, a, func(r Rows) error {
			var s string
			if err := r.Scan(textScan{&s}); err != nil {
				return err
			}
			out = append(out, spelled[s]...)
			return nil
		})
	})
	return out, err
}
