package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlstore"
)

// recording is a Conn that keeps the SQL and arguments of each query.
type recording struct {
	sqlstore.Conn
	sql  []string
	args [][]any
}

func (r *recording) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r.sql, r.args = append(r.sql, q), append(r.args, args)
	return r.Conn.Query(ctx, q, args...)
}

// TestLookupPlans: the lookups an IdP sends before every create probe their
// index on a database that was never analyzed (an initial sync starts so).
// Without migration 0006's statistics SQLite walked the whole org through
// the primary key, which also gives the page's order.
func TestLookupPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const org = "01a20a68-a959-7468-a264-40f0ffb21c13"
	eq := func(f, v string) store.Query {
		return store.Query{Filter: store.Compare{Field: store.Named(f), Op: store.OpEq, Value: v}, Limit: 100}
	}
	for _, tc := range []struct {
		name, index string
		groups      bool
		q           store.Query
	}{
		{"userName", "memberships_user_name", false, eq(store.FieldUserName, "a@b.example")},
		{"externalId", "memberships_external_id_key", false, store.Query{Filter: store.Compare{Field: store.Named(store.FieldExternalID), Op: store.OpEq, Value: "x-1", CaseExact: true}, Limit: 100}},
		{"group displayName", "groups_name_key", true, eq(store.FieldDisplayName, "Sales")},
	} {
		err := db.run(ctx, db.read, &sql.TxOptions{ReadOnly: true}, func(c sqlstore.Conn) error {
			rec := &recording{Conn: c}
			tx := sqlstore.NewReadOnly(rec, &dialect)
			var err error
			if tc.groups {
				_, _, err = tx.SearchGroups(ctx, org, tc.q)
			} else {
				_, _, err = tx.SearchMembers(ctx, org, tc.q)
			}
			if err != nil {
				return err
			}
			rows, err := c.Query(ctx, "EXPLAIN QUERY PLAN "+rec.sql[0], rec.args[0]...)
			if err != nil {
				return err
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					return err
				}
				plan = append(plan, detail)
			}
			if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX "+tc.index+" ") {
				t.Errorf("%s lookup: plan %q, want a search of %s\n%s", tc.name, p, tc.index, rec.sql[0])
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
