package store

import (
	"context"
	"fmt"
)

func checkQuery(q *Query, groups bool) error {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = min(max(q.Limit, 50), MaxPageSize)
	}
	q.Offset = max(q.Offset, 0)
	if err := CheckFilter(q.Filter, groups); err != nil {
		return err
	}
	if q.SortBy != nil {
		if err := CheckField(*q.SortBy, groups); err != nil {
			return err
		}
		if q.SortBy.Name == FieldMember {
			return invalid("sortBy", "cannot sort by members")
		}
	}
	return nil
}

// SearchMembers returns one page of an org's members matching q (a SCIM
// filter, sort and page) and the total.
func (s *Store) SearchMembers(ctx context.Context, orgID string, q Query) (ms []Member, total int, err error) {
	if err := checkQuery(&q, false); err != nil {
		return nil, 0, err
	}
	err = s.read(ctx, func(tx Tx) error {
		st, err := scimTx(tx)
		if err != nil {
			return err
		}
		ms, total, err = st.SearchMembers(ctx, orgID, q)
		return err
	})
	return ms, total, err
}

// SearchGroups returns one page of an org's groups matching q and the total.
func (s *Store) SearchGroups(ctx context.Context, orgID string, q Query) (gs []Group, total int, err error) {
	if err := checkQuery(&q, true); err != nil {
		return nil, 0, err
	}
	err = s.read(ctx, func(tx Tx) error {
		st, err := scimTx(tx)
		if err != nil {
			return err
		}
		gs, total, err = st.SearchGroups(ctx, orgID, q)
		return err
	})
	return gs, total, err
}

func scimTx(tx Tx) (SCIMTx, error) {
	st, ok := tx.(SCIMTx)
	if !ok {
		return nil, fmt.Errorf("backend %T does not implement SCIMTx", tx)
	}
	return st, nil
}

// GroupsOfMember lists the groups of one member of an org.
func (s *Store) GroupsOfMember(ctx context.Context, orgID, accountID string) (gs []Group, err error) {
	err = s.read(ctx, func(tx Tx) error { gs, _, err = tx.GroupsOfMember(ctx, orgID, accountID); return err })
	return gs, err
}
