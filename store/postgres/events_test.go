package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// The feed's horizon: a transaction still open in this database holds back
// events committed after it (it may still commit events with a smaller
// position), while one open in another database of the same server does not.
func TestEventHorizonPerDatabase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db := open(t, url)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, store.Options{BaseURL: "http://idbridge.test"})
	sup := store.SupportActor("test")
	head := func() store.EventPos {
		t.Helper()
		p, err := st.EventHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	visibleSince := func(after store.EventPos) int {
		t.Helper()
		es, _, err := st.ListEvents(ctx, store.EventQuery{After: after, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	// holdOpen starts a transaction with an id on the database at url and
	// keeps it open until the test's cleanup.
	holdOpen := func(url string) pgx.Tx {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(ctx) })
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	org := func() {
		t.Helper()
		c, err := st.CreateCompany(ctx, sup, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		tag := c.ID[len(c.ID)-8:]
		o, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: c.ID, Name: "Acme " + tag, Domains: []string{tag + ".example"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateMember(ctx, sup, o.ID, store.NewMember{Email: "m@" + tag + ".example"}); err != nil {
			t.Fatal(err)
		}
	}

	// Another database's open transaction: events still show at once.
	holdOpen(pgtest.NewDatabase(t))
	start := head()
	org()
	if visibleSince(start) == 0 {
		t.Fatalf("an open transaction in another database held the feed back")
	}
	// This database's own open transaction: later events wait for it.
	start = head()
	own := holdOpen(url)
	org()
	if n := visibleSince(start); n != 0 {
		t.Fatalf("%d events shown past a transaction still open in the same database", n)
	}
	if err := own.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if visibleSince(start) == 0 {
		t.Fatalf("events not shown once the older transaction ended")
	}
}
