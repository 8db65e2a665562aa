package store

import "context"

// SCIMTx is the storage the SCIM endpoint needs beyond the admin screens:
// filtered, sorted pages of members and groups. It is part of Tx.
//
// Filters and sort fields have passed CheckFilter/CheckField; backends still
// map every field through their own allow-list, bind every value, and never
// filter in memory. Every query is scoped by orgID.
type SCIMTx interface {
	// SearchMembers returns one page of the org's members matching q and the
	// total; the order is q.SortBy then the account id.
	SearchMembers(ctx context.Context, orgID string, q Query) ([]Member, int, error)
	// SearchGroups returns one page of the org's groups matching q and the total.
	SearchGroups(ctx context.Context, orgID string, q Query) ([]Group, int, error)
}
