package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// NewGroup is the input of CreateGroup.
type NewGroup struct {
	DisplayName string
	ExternalID  string
	Members     []GroupMember
}

func checkGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 {
		return "", invalid("displayName", "a group name of 1 to 256 characters is required")
	}
	return name, nil
}

func checkGroupMembers(ms []GroupMember) ([]GroupMember, error) {
	out := make([]GroupMember, 0, len(ms))
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		if m.Role == "" {
			m.Role = GroupRoleMember
		}
		if !m.Role.Valid() {
			return nil, invalid("members", "group role %q is not one of member, manager", m.Role)
		}
		if !seen[m.AccountID] {
			seen[m.AccountID] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// requireOrgMembers refuses accounts that are not members of the org (another
// org's ids included): group members come from the same org only.
func requireOrgMembers(ctx context.Context, tx Tx, orgID string, ms []GroupMember) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.AccountID
	}
	found, err := tx.MembersOfOrg(ctx, orgID, ids)
	if err != nil {
		return err
	}
	if len(found) == len(ids) {
		return nil
	}
	ok := make(map[string]bool, len(found))
	for _, id := range found {
		ok[id] = true
	}
	for _, id := range ids {
		if !ok[id] {
			return invalid("members", "%q is not a member of this organization", id)
		}
	}
	return nil
}

// CreateGroup creates a group with its first members.
func (s *Store) CreateGroup(ctx context.Context, actor Actor, orgID string, in NewGroup) (Group, error) {
	name, err := checkGroupName(in.DisplayName)
	if err != nil {
		return Group{}, err
	}
	members, err := checkGroupMembers(in.Members)
	if err != nil {
		return Group{}, err
	}
	var g Group
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		if err := requireOrgMembers(ctx, tx, orgID, members); err != nil {
			return err
		}
		g = Group{ID: newID(), OrgID: orgID, DisplayName: name, ExternalID: in.ExternalID, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertGroup(ctx, g); err != nil {
			return err
		}
		if err := tx.UpsertGroupMembers(ctx, orgID, g.ID, members); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "group.create", "group", g.ID, nil, map[string]any{"group": g, "members": len(members)})
	})
	return g, err
}

// GetGroup returns one group of an org.
func (s *Store) GetGroup(ctx context.Context, orgID, id string) (g Group, err error) {
	err = s.read(ctx, func(tx Tx) error { g, err = tx.GetGroup(ctx, orgID, id, LockNone); return err })
	return g, err
}

// ListGroups returns one page of an org's groups and the total.
func (s *Store) ListGroups(ctx context.Context, orgID string, q GroupQuery) (gs []Group, total int, err error) {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = min(max(q.Limit, 50), MaxPageSize)
	}
	q.Offset = max(q.Offset, 0)
	err = s.read(ctx, func(tx Tx) error { gs, total, err = tx.ListGroups(ctx, orgID, q); return err })
	return gs, total, err
}

// ListGroupMembers pages a group's members by account id.
func (s *Store) ListGroupMembers(ctx context.Context, orgID, groupID, after string, limit int) (ms []GroupMember, err error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	err = s.read(ctx, func(tx Tx) error {
		if _, err := tx.GetGroup(ctx, orgID, groupID, LockNone); err != nil {
			return err
		}
		ms, err = tx.ListGroupMembers(ctx, orgID, groupID, after, limit)
		return err
	})
	return ms, err
}

// GroupChange is one change of a group: rename, externalId, and member edits,
// applied in the order ReplaceMembers, Remove, Add. A nil field is no change.
type GroupChange struct {
	DisplayName *string
	ExternalID  *string
	// ReplaceMembers, when non-nil, replaces the whole member list.
	ReplaceMembers *[]GroupMember
	AddMembers     []GroupMember
	RemoveMembers  []string
	// Precondition, when set, sees the group as it is inside the
	// transaction, its row locked, before anything changes (an HTTP
	// If-Match); its error refuses the change and is returned as it is.
	Precondition func(Group) error
}

// UpdateGroup applies a change to a group in one transaction. Member edits
// touch only the listed rows, never loading the whole group.
func (s *Store) UpdateGroup(ctx context.Context, actor Actor, orgID, id string, c GroupChange) (Group, error) {
	var g Group
	add, err := checkGroupMembers(c.AddMembers)
	if err != nil {
		return Group{}, err
	}
	var replace []GroupMember
	if c.ReplaceMembers != nil {
		if replace, err = checkGroupMembers(*c.ReplaceMembers); err != nil {
			return Group{}, err
		}
	}
	membersOnly := c.DisplayName == nil && c.ExternalID == nil && c.ReplaceMembers == nil && c.Precondition == nil
	write := s.write
	if membersOnly {
		write = s.writeHotRow
	}
	err = write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		// A change of member rows only does not lock the group row for the
		// whole transaction: member adds to one group would queue behind each
		// other (16 concurrent adds of Entra's or Okta's sync). The member rows
		// are upserts and deletes by key, and the group row only gets its new
		// updated_at (ETag), written last and committed without waiting for
		// the disk (writeHotRow). A change of the name or externalId, a
		// replacement of all members, or an If-Match still locks the row first.
		lock := LockUpdate
		if membersOnly {
			lock = LockNone
		}
		before, err := tx.GetGroup(ctx, orgID, id, lock)
		if err != nil {
			return err
		}
		if c.Precondition != nil {
			if err := c.Precondition(before); err != nil {
				return err
			}
		}
		g = before
		if c.DisplayName != nil {
			if g.DisplayName, err = checkGroupName(*c.DisplayName); err != nil {
				return err
			}
		}
		if c.ExternalID != nil {
			g.ExternalID = *c.ExternalID
		}
		if c.ReplaceMembers != nil {
			if err := tx.RemoveAllGroupMembers(ctx, orgID, id); err != nil {
				return err
			}
			if err := tx.UpsertGroupMembers(ctx, orgID, id, replace); err != nil {
				return err
			}
		}
		if len(c.RemoveMembers) > 0 {
			if err := tx.RemoveGroupMembers(ctx, orgID, id, c.RemoveMembers); err != nil {
				return err
			}
		}
		if len(add) > 0 {
			// The member rows' foreign key refuses an account that is not a
			// member of the org (queued, a write costs no round trip of its
			// own); which one it was is found after, on failure.
			if err := tx.UpsertGroupMembers(ctx, orgID, id, add); err != nil {
				return err
			}
		}
		g.UpdatedAt = now
		u := groupUpdate{Group: g, Added: len(add), Removed: len(c.RemoveMembers), Replaced: c.ReplaceMembers != nil,
			removedIDs: c.RemoveMembers}
		for _, m := range add {
			u.addedIDs = append(u.addedIDs, m.AccountID)
		}
		if err := audit(ctx, tx, now, actor, orgID, "group.update", "group", id, before, u); err != nil {
			return err
		}
		// The group row last: concurrent member changes wait for its lock
		// from here to the commit only.
		if membersOnly {
			return tx.TouchGroup(ctx, orgID, id, now)
		}
		return tx.UpdateGroup(ctx, g)
	})
	var ie *InvalidError
	if added := slices.Concat(add, replace); errors.As(err, &ie) && ie.Field == "members" && len(added) > 0 {
		if rerr := s.read(ctx, func(tx Tx) error { return requireOrgMembers(ctx, tx, orgID, added) }); rerr != nil {
			return Group{}, rerr // names the account
		}
	}
	return g, err
}

// DeleteGroup deletes a group and its member rows.
func (s *Store) DeleteGroup(ctx context.Context, actor Actor, orgID, id string) error {
	return s.DeleteGroupIf(ctx, actor, orgID, id, nil)
}

// DeleteGroupIf is DeleteGroup when pre, if set, accepts the group as it is
// inside the transaction, its row locked (an HTTP If-Match).
func (s *Store) DeleteGroupIf(ctx context.Context, actor Actor, orgID, id string, pre func(Group) error) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		g, err := tx.GetGroup(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		if pre != nil {
			if err := pre(g); err != nil {
				return err
			}
		}
		if err := tx.DeleteGroup(ctx, orgID, id); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "group.delete", "group", id, g, nil)
	})
}
