package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// roundTrips counts what the connections send: a batch is one round trip.
// It keeps the SQL of the last batches.
type roundTrips struct {
	trips, statements atomic.Int64
	mu                sync.Mutex
	sql               []string
}

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.trips.Add(1)
	c.statements.Add(1)
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	c.statements.Add(int64(d.Batch.Len()))
	return ctx
}
func (c *roundTrips) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.mu.Lock()
	c.sql = append(c.sql, d.SQL)
	c.mu.Unlock()
}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// testStore opens a new migrated database whose pool is made from its
// config after configure, and a store over it with one org (domain rt.example).
func testStore(t *testing.T, configure func(*pgxpool.Config)) (*DB, *store.Store, store.Org) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := db.cfg.Copy()
	configure(cfg)
	db.pool.Close()
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, store.Options{BaseURL: "http://idbridge.test"})
	support := store.SupportActor("test")
	c, err := st.CreateCompany(ctx, support, "C")
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.CreateOrg(ctx, support, store.NewOrg{CompanyID: c.ID, Name: "O", Domains: []string{"rt.example"}})
	if err != nil {
		t.Fatal(err)
	}
	return db, st, o
}

// TestCreateMemberRoundTrips guards the pipelining (pipeline.go): a create
// with an invitation was ten round trips, one per statement; it is three:
// BEGIN+org, account by email, account+membership+token+outbox+audit+COMMIT
// (a new account's membership is queued: InsertNewAccountMembership).
func TestCreateMemberRoundTrips(t *testing.T) {
	ctx := context.Background()
	cnt := &roundTrips{}
	_, st, o := testStore(t, func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = cnt })
	support := store.SupportActor("test")
	for i := range 3 { // the first ones prepare the statements on their connection
		cnt.trips.Store(0)
		cnt.statements.Store(0)
		if _, err := st.CreateMember(ctx, support, o.ID, store.NewMember{Email: "u" + strconv.Itoa(i) + "@rt.example", Invite: true}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("CreateMember with invitation: %d round trips, %d statements", cnt.trips.Load(), cnt.statements.Load())
	if n := cnt.trips.Load(); n > 3 {
		t.Errorf("CreateMember took %d round trips, want at most 3", n)
	}
}

// A queued write that fails fails the transaction with its own (translated)
// error, whether it was sent with a later statement or with the commit, and
// nothing of the transaction stays.
func TestQueuedWriteFailure(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, store.Options{BaseURL: "http://idbridge.test"})
	support := store.SupportActor("test")
	c, err := st.CreateCompany(ctx, support, "C")
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.CreateOrg(ctx, support, store.NewOrg{CompanyID: c.ID, Name: "O", Domains: []string{"q.example"}})
	if err != nil {
		t.Fatal(err)
	}
	taken, err := st.CreateMember(ctx, support, o.ID, store.NewMember{Email: "taken@q.example"})
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(email string) store.Account {
		return store.Account{ID: uuidV7(t), Email: email, CreatedAt: taken.Account.CreatedAt, UpdatedAt: taken.Account.CreatedAt}
	}
	for _, withCommit := range []bool{false, true} {
		victim := fresh("victim" + strconv.FormatBool(withCommit) + "@q.example")
		readErr := error(nil)
		err := db.InTx(ctx, func(tx store.Tx) error {
			if err := tx.InsertAccount(ctx, victim); err != nil { // queued, succeeds
				return err
			}
			if err := tx.InsertAccount(ctx, fresh("TAKEN@q.example")); err != nil { // queued, fails
				return err
			}
			if withCommit {
				return nil
			}
			_, readErr = tx.GetOrg(ctx, o.ID, store.LockNone) // sends the queue
			return nil                                        // even if fn swallows it, the transaction fails
		})
		var ce *store.ConflictError
		if !errors.As(err, &ce) || ce.Field != "email" {
			t.Errorf("commit=%v: InTx = %v, want a conflict on email", withCommit, err)
		}
		if !withCommit && !errors.As(readErr, &ce) {
			t.Errorf("read after the failed write = %v, want the write's conflict", readErr)
		}
		err = db.ReadTx(ctx, func(tx store.Tx) error { _, err := tx.GetAccount(ctx, victim.ID, store.LockNone); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("commit=%v: the transaction's other write stayed: %v", withCommit, err)
		}
	}
	// The connections are fine afterwards.
	if _, err := st.CreateMember(ctx, support, o.ID, store.NewMember{Email: "after@q.example", Invite: true}); err != nil {
		t.Fatal(err)
	}
}

func uuidV7(t *testing.T) string {
	t.Helper()
	u, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// TestSCIMLookupRoundTrips guards the SCIM hot path: the token check and a
// filter lookup are one statement each, outside any transaction (two round
// trips for a lookup, once four); a full first page still gets its COUNT from
// the same snapshot (a read-only transaction), and a member add to a group
// queues the group's new updated_at with the commit.
func TestSCIMLookupRoundTrips(t *testing.T) {
	ctx := context.Background()
	cnt := &roundTrips{}
	_, st, o := testStore(t, func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = cnt })
	support := store.SupportActor("test")
	secret, _, err := st.CreateSCIMToken(ctx, support, o.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		m, err := st.CreateMember(ctx, support, o.ID, store.NewMember{Email: "u" + strconv.Itoa(i) + "@rt.example"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.Account.ID)
	}
	g, err := st.CreateGroup(ctx, support, o.ID, store.NewGroup{DisplayName: "G"})
	if err != nil {
		t.Fatal(err)
	}
	trips := func(name string, want int64, fn func() error) {
		t.Helper()
		for range 2 { // the first prepares the statements on its connection
			cnt.trips.Store(0)
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if n := cnt.trips.Load(); n != want {
			t.Errorf("%s: %d round trips, want %d", name, n, want)
		}
	}
	trips("AuthenticateSCIMToken", 1, func() error { _, err := st.AuthenticateSCIMToken(ctx, secret); return err })
	eq := store.Query{Filter: store.Compare{Field: store.Field{Name: store.FieldUserName}, Op: store.OpEq, Value: "u1@rt.example"}}
	trips("lookup", 1, func() error {
		ms, total, err := st.SearchMembers(ctx, o.ID, eq)
		if err == nil && (len(ms) != 1 || total != 1 || ms[0].Account.ID != ids[1]) {
			t.Errorf("lookup = %d members, total %d", len(ms), total)
		}
		return err
	})
	// A full first page: tried alone (1), then BEGIN+page, COUNT, COMMIT (3).
	full := store.Query{Filter: store.Compare{Field: store.Field{Name: store.FieldEmail}, Op: store.OpEndsWith, Value: "@rt.example"}, Limit: 2}
	trips("full first page", 4, func() error {
		ms, total, err := st.SearchMembers(ctx, o.ID, full)
		if err == nil && (len(ms) != 2 || total != 3) {
			t.Errorf("full page = %d members, total %d, want 2 and 3", len(ms), total)
		}
		return err
	})
	i := 0
	// BEGIN+SET LOCAL+group, then the member row, the group's updated_at, the
	// audit entry, COMMIT and the flush (InTxHotRow).
	trips("add one member to a group", 2, func() error {
		cnt.mu.Lock()
		cnt.sql = nil
		cnt.mu.Unlock()
		_, err := st.UpdateGroup(ctx, support, o.ID, g.ID, store.GroupChange{AddMembers: []store.GroupMember{{AccountID: ids[i]}}})
		i++
		return err
	})
	// The group row's lock is released before the disk flush, and the
	// caller waits for the flush all the same.
	if sent := strings.Join(cnt.sql, "\n"); !strings.Contains(sent, "synchronous_commit = off") ||
		!strings.HasSuffix(sent, "COMMIT\nSELECT pg_current_xact_id()") {
		t.Errorf("a member add sent:\n%s", sent)
	}
	if after, err := st.GetGroup(ctx, o.ID, g.ID); err != nil || !after.UpdatedAt.After(g.UpdatedAt) {
		t.Errorf("group after adds = %+v, %v: want a later updated_at than %v", after, err, g.UpdatedAt)
	}
}
