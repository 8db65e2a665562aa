package sqlstore

import (
	"context"

	"github.com/idbridge/idbridge/store"
)

// SearchMembers returns one page of an org's members matching q and the total.
// The page is read first; when it is the first and not full, its length is
// the total and no COUNT runs (a userName lookup is one query).
func (t *Tx) SearchMembers(ctx context.Context, orgID string, q store.Query) ([]store.Member, int, error) {
	if err := ids(&orgID); err != nil {
		return nil, 0, err
	}
	var a args
	s := &filterSQL{t: t, a: &a, orgArg: a.add(orgID)}
	cond, err := s.where(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	where := memberFrom + ` WHERE m.org_id = ` + s.orgArg + ` AND ` + cond
	var out []store.Member
	if !q.CountOnly {
		order, err := s.orderBy(q, "m.account_id")
		if err != nil {
			return nil, 0, err
		}
		pa := append(args(nil), a...)
		page := `SELECT ` + accountCols + `, ` + membershipCols + where + order +
			` LIMIT ` + pa.add(limit(q.Limit)) + ` OFFSET ` + pa.add(max(q.Offset, 0))
		err = t.queryAll(ctx, "search members", page, pa, func(r Rows) error {
			var m store.Member
			err := r.Scan(append(accountDest(&m.Account), membershipDest(&m.Membership)...)...)
			out = append(out, m)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		if q.Offset == 0 && len(out) < q.Limit {
			return out, len(out), nil
		}
	}
	var total int
	if err := t.c.QueryRow(ctx, `SELECT COUNT(*)`+where, a...).Scan(&total); err != nil {
		return nil, 0, t.err("count members", err)
	}
	return out, total, nil
}

// SearchGroups returns one page of an org's groups matching q and the total.
func (t *Tx) SearchGroups(ctx context.Context, orgID string, q store.Query) ([]store.Group, int, error) {
	if err := ids(&orgID); err != nil {
		return nil, 0, err
	}
	var a args
	s := &filterSQL{t: t, a: &a, orgArg: a.add(orgID), groups: true}
	cond, err := s.where(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	where := ` FROM groups g WHERE g.org_id = ` + s.orgArg + ` AND ` + cond
	var out []store.Group
	if !q.CountOnly {
		order, err := s.orderBy(q, "g.id")
		if err != nil {
			return nil, 0, err
		}
		pa := append(args(nil), a...)
		page := `SELECT ` + groupCols + where + order + ` LIMIT ` + pa.add(limit(q.Limit)) + ` OFFSET ` + pa.add(max(q.Offset, 0))
		err = t.queryAll(ctx, "search groups", page, pa, func(r Rows) error {
			var g store.Group
			err := r.Scan(groupDest(&g)...)
			out = append(out, g)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		if q.Offset == 0 && len(out) < q.Limit {
			return out, len(out), nil
		}
	}
	var total int
	if err := t.c.QueryRow(ctx, `SELECT COUNT(*)`+where, a...).Scan(&total); err != nil {
		return nil, 0, t.err("count groups", err)
	}
	return out, total, nil
}
