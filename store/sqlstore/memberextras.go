package sqlstore

import (
	"context"
	"time"
)

// LastSignIns returns the latest sign-in in the org of each of accountIDs
// that signed in there (the sign_ins_recent index, one probe per account).
func (t *Tx) LastSignIns(ctx context.Context, orgID string, accountIDs []string) (map[string]time.Time, error) {
	if err := ids(&orgID); err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	err := chunks(validIDs(accountIDs), func(part []string) error {
		a := args{orgID}
		return t.queryAll(ctx, "last sign-ins", `SELECT account_id, max(at) FROM sign_ins WHERE org_id = $1
			AND account_id IN (`+a.list(part)+`) GROUP BY account_id`, a, func(r Rows) error {
			var id string
			var at time.Time
			err := r.Scan(textScan{&id}, timeScan{&at})
			out[id] = at
			return err
		})
	})
	return out, err
}

// GroupNamesOf returns the display names of the org's groups each of
// accountIDs belongs to, ordered by name.
func (t *Tx) GroupNamesOf(ctx context.Context, orgID string, accountIDs []string) (map[string][]string, error) {
	if err := ids(&orgID); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	err := chunks(validIDs(accountIDs), func(part []string) error {
		a := args{orgID}
		return t.queryAll(ctx, "group names of members", `SELECT gm.account_id, g.display_name FROM group_members gm
			JOIN groups g ON g.id = gm.group_id WHERE gm.org_id = $1 AND gm.account_id IN (`+a.list(part)+`)
			ORDER BY gm.account_id, `+t.d.Fold("g.display_name")+`, g.id`, a, func(r Rows) error {
			var id, name string
			err := r.Scan(textScan{&id}, &name)
			out[id] = append(out[id], name)
			return err
		})
	})
	return out, err
}
