package postgres

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idbridge/idbridge/store"
)

// TestPlanCaching guards how statements are planned. A key lookup (a SCIM
// client's filter=userName eq) must reuse a generic plan: planning it each
// time cost four times its run and halved lookup throughput at a million
// members. A LIKE search must be planned for its pattern every time, as only
// the pattern tells whether the trigram indexes help (sqlstore.ValuePlanner).
func TestPlanCaching(t *testing.T) {
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
		co := store.Compare{Field: store.Named(store.FieldEmail), Op: store.OpContains, Value: "u" + strconv.Itoa(i)}
		if ms, _, err := st.SearchMembers(ctx, o.ID, store.Query{Filter: co}); err != nil || len(ms) == 0 {
			t.Fatalf("email co: %d, %v", len(ms), err)
		}
		if ms, _, err := st.ListMembers(ctx, o.ID, store.MemberQuery{Search: "u" + strconv.Itoa(i), Limit: 50}); err != nil || len(ms) == 0 {
			t.Fatalf("search: %d, %v", len(ms), err)
		}
	}

	rows, err := db.pool.Query(ctx, `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	lookups, likes := 0, 0
	for rows.Next() {
		var sql string
		var generic, custom int64
		if err := rows.Scan(&sql, &generic, &custom); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(sql, " LIKE "):
			likes++
			if generic > 0 || custom < runs {
				t.Errorf("a LIKE search ran %d times on a generic plan and %d on its own; want always its own:\n%s", generic, custom, sql)
			}
		case strings.Contains(sql, "'userName'") && strings.Contains(sql, "IN (SELECT"):
			lookups++
			if generic < runs-5 {
				t.Errorf("the userName lookup ran %d times on a generic plan (%d custom); want all but the first 5:\n%s", generic, custom, sql)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if lookups != 1 || likes < 2 {
		t.Fatalf("found %d userName lookup and %d LIKE statements prepared; the test no longer sees them", lookups, likes)
	}
}
