package postgres

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idbridge/idbridge/store"
)

// TestPlans guards how statements are planned (Open). No statement may run
// on a generic plan: one made while the tables were nearly empty scanned the
// whole org for every userName lookup of an initial sync. And the userName
// lookup must stay one probe of the user_name index (migration 0006), cheap
// to plan, not the join of two lookups it was.
func TestPlans(t *testing.T) {
	ctx := context.Background()
	// One connection, so every statement is prepared where it is inspected.
	db, st, o := testStore(t, func(cfg *pgxpool.Config) { cfg.MaxConns = 1 })
	support := store.SupportActor("test")
	domain := "@" + o.Domains[0]
	for i := range 20 {
		if _, err := st.CreateMember(ctx, support, o.ID, store.NewMember{Email: "u" + strconv.Itoa(i) + domain}); err != nil {
			t.Fatal(err)
		}
	}
	const runs = 12
	for i := range runs {
		email := "u" + strconv.Itoa(i) + domain
		eq := store.Compare{Field: store.Named(store.FieldUserName), Op: store.OpEq, Value: email}
		if ms, _, err := st.SearchMembers(ctx, o.ID, store.Query{Filter: eq}); err != nil || len(ms) != 1 {
			t.Fatalf("userName eq %s: %d, %v", email, len(ms), err)
		}
		if ms, _, err := st.ListMembers(ctx, o.ID, store.MemberQuery{Search: "u" + strconv.Itoa(i), Limit: 50}); err != nil || len(ms) == 0 {
			t.Fatalf("search: %d, %v", len(ms), err)
		}
		if _, err := st.CreateMember(ctx, support, o.ID, store.NewMember{Email: "new" + strconv.Itoa(i) + domain}); err != nil {
			t.Fatal(err)
		}
	}

	rows, err := db.pool.Query(ctx, `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	lookups := 0
	for rows.Next() {
		var sql string
		var generic, custom int64
		if err := rows.Scan(&sql, &generic, &custom); err != nil {
			t.Fatal(err)
		}
		if generic > 0 && strings.Contains(sql, "$1") { // without parameters every plan is generic
			t.Errorf("ran %d times on a generic plan (%d custom):\n%s", generic, custom, sql)
		}
		if strings.Contains(sql, "lower(m.user_name) = lower(") {
			lookups++
			if strings.Count(sql, "SELECT") != 1 || strings.Contains(sql, "profile") && strings.Contains(sql, "'userName'") {
				t.Errorf("the userName lookup is more than one index probe:\n%s", sql)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if lookups != 1 {
		t.Fatalf("found %d userName lookups prepared; the test no longer sees it", lookups)
	}
}
