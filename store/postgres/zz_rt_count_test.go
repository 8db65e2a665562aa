package postgres

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

type rtCounter struct{ rt, stmts atomic.Int64 }

func (c *rtCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.rt.Add(1)
	c.stmts.Add(1)
	return ctx
}
func (c *rtCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *rtCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.rt.Add(1)
	c.stmts.Add(int64(d.Batch.Len()))
	return ctx
}
func (c *rtCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *rtCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func TestZZCountRoundTrips(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cnt := &rtCounter{}
	cfg := db.cfg.Copy()
	cfg.ConnConfig.Tracer = cnt
	db.pool.Close()
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, store.Options{BaseURL: "http://x"})
	sup := store.SupportActor("t")
	c, _ := st.CreateCompany(ctx, sup, "C")
	o, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: c.ID, Name: "O", Domains: []string{"o.example"}})
	if err != nil {
		t.Fatal(err)
	}
	create := func(i int) {
		if _, err := st.CreateMember(ctx, sup, o.ID, store.NewMember{Email: "u" + string(rune('a'+i)) + "@o.example", Invite: true}); err != nil {
			t.Fatal(err)
		}
	}
	create(0) // warm the statement cache
	cnt.rt.Store(0)
	cnt.stmts.Store(0)
	create(1)
	t.Logf("CreateMember: %d round trips, %d statements", cnt.rt.Load(), cnt.stmts.Load())
}
