package sqlstore

import (
	"context"

	"github.com/idbridge/idbridge/store"
)

// SearchMembers returns one page of an org's members matching q and the total.
func (t *Tx) SearchMembers(ctx context.Context, orgID string, q store.Query) ([]store.Member, int, error) {
	return search(ctx, t, orgID, q, searchOf[store.Member]{what: "members", from: memberFrom, org: "m.org_id",
		cols: accountCols + `, ` + membershipCols, id: "m.account_id",
		dest: func(m *store.Member) []any { return append(accountDest(&m.Account), membershipDest(&m.Membership)...) }})
}

// SearchGroups returns one page of an org's groups matching q and the total.
func (t *Tx) SearchGroups(ctx context.Context, orgID string, q store.Query) ([]store.Group, int, error) {
	return search(ctx, t, orgID, q, searchOf[store.Group]{what: "groups", groups: true, from: ` FROM groups g`, org: "g.org_id",
		cols: groupCols, id: "g.id", dest: groupDest})
}

// searchOf is what differs between a search of members and one of groups.
type searchOf[T any] struct {
	what   string // for errors
	groups bool   // the filter is on groups
	from   string // the FROM clause
	org    string // the org column
	cols   string // the selected columns
	id     string // the id column, which makes the order stable
	dest   func(*T) []any
}

// search returns one page of an org's rows matching q and the total. The
// page is read first; when it is the first and not full, its length is the
// total and no COUNT runs (a userName lookup is one query).
func search[T any](ctx context.Context, t *Tx, orgID string, q store.Query, of searchOf[T]) ([]T, int, error) {
	if err := ids(&orgID); err != nil {
		return nil, 0, err
	}
	var a args
	s := &filterSQL{t: t, a: &a, orgArg: a.add(orgID), groups: of.groups}
	cond, err := s.where(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	where := of.from + ` WHERE ` + of.org + ` = ` + s.orgArg + ` AND ` + cond
	var out []T
	if !q.CountOnly {
		order, err := s.orderBy(q, of.id)
		if err != nil {
			return nil, 0, err
		}
		pa := append(args(nil), a...)
		page := `SELECT ` + of.cols + where + order + ` LIMIT ` + pa.add(limit(q.Limit)) + ` OFFSET ` + pa.add(max(q.Offset, 0))
		err = t.queryAll(ctx, "search "+of.what, page, pa, func(r Rows) error {
			var v T
			err := r.Scan(of.dest(&v)...)
			out = append(out, v)
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
		return nil, 0, t.err("count "+of.what, err)
	}
	return out, total, nil
}
