package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// replica opens its own DB (pool and LISTEN connection) on url, as another
// process would, and a Store over it.
func replica(t *testing.T, url string) (*postgres.DB, *store.Store) {
	db := open(t, url)
	return db, store.New(db, store.Options{})
}

// twoReplicas migrates a new database and opens two replicas on it.
func twoReplicas(t *testing.T) (url string, dbA *postgres.DB, a, b *store.Store) {
	url = pgtest.NewDatabase(t)
	dbA, a = replica(t, url)
	if err := dbA.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, b = replica(t, url)
	return url, dbA, a, b
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// authN authenticates secret n times on s, failing the test on an error.
func authN(t *testing.T, s *store.Store, secret string, n int) {
	t.Helper()
	for range n {
		if _, err := s.AuthenticateSCIMToken(context.Background(), secret); err != nil {
			t.Fatalf("AuthenticateSCIMToken: %v", err)
		}
	}
}

// orgToken creates an org and a SCIM token of it through s.
func orgToken(t *testing.T, s *store.Store) (store.Org, string, store.SCIMToken) {
	t.Helper()
	ctx, support := context.Background(), store.SupportActor("test")
	co, err := s.CreateCompany(ctx, support, "C")
	if err != nil {
		t.Fatal(err)
	}
	org, err := s.CreateOrg(ctx, support, store.NewOrg{CompanyID: co.ID, Name: "O", Domains: []string{"o.example"}})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := s.CreateSCIMToken(ctx, support, org.ID, "one")
	if err != nil {
		t.Fatal(err)
	}
	return org, secret, tok
}

func refused(t *testing.T, s *store.Store, secret, what string) {
	t.Helper()
	if _, err := s.AuthenticateSCIMToken(context.Background(), secret); !errors.Is(err, store.ErrBadToken) {
		t.Errorf("%s: AuthenticateSCIMToken = %v, want ErrBadToken", what, err)
	}
}

// Two replicas (and an operator CLI, a third process) on one database: a
// token both replicas have cached and revoked elsewhere is refused by each on
// its next request once the notification, sent at commit, has reached it.
func TestSCIMTokenRevocationAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	url, dbA, a, b := twoReplicas(t)
	_, cli := replica(t, url) // never authenticates, so never listens
	support := store.SupportActor("test")
	org, s1, _ := orgToken(t, cli)
	s2, t2, err := cli.CreateSCIMToken(ctx, support, org.ID, "two")
	if err != nil {
		t.Fatal(err)
	}
	t1, err := a.AuthenticateSCIMToken(ctx, s1)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*store.Store{a, b} {
		authN(t, s, s1, 1)
		waitFor(t, "the listener", func() bool { c, _, _ := s.SCIMTokenCacheState(); return c })
		authN(t, s, s1, 2)
		authN(t, s, s2, 2)
		if _, n, _ := s.SCIMTokenCacheState(); n != 2 {
			t.Fatalf("cached %d tokens, want 2", n)
		}
	}

	// Through replica A: A at once, B once told.
	_, _, before := b.SCIMTokenCacheState()
	if _, err := a.RevokeSCIMToken(ctx, support, org.ID, t1.ID); err != nil {
		t.Fatal(err)
	}
	refused(t, a, s1, "replica A after its own revocation")
	waitFor(t, "B's notification", func() bool { _, _, n := b.SCIMTokenCacheState(); return n > before })
	refused(t, b, s1, "replica B after A's revocation")

	// Through the CLI (another process): both once told.
	_, _, beforeA := a.SCIMTokenCacheState()
	_, _, beforeB := b.SCIMTokenCacheState()
	if _, err := cli.RevokeSCIMToken(ctx, support, org.ID, t2.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the notifications", func() bool {
		_, _, na := a.SCIMTokenCacheState()
		_, _, nb := b.SCIMTokenCacheState()
		return na > beforeA && nb > beforeB
	})
	refused(t, a, s2, "replica A after the CLI's revocation")
	refused(t, b, s2, "replica B after the CLI's revocation")
	if c, _, _ := cli.SCIMTokenCacheState(); c {
		t.Errorf("the CLI, which never authenticated, listens")
	}

	// A deleted org takes its tokens, and the caches hear of it.
	s3, _, err := cli.CreateSCIMToken(ctx, support, org.ID, "three")
	if err != nil {
		t.Fatal(err)
	}
	authN(t, b, s3, 2)
	_, _, before = b.SCIMTokenCacheState()
	tag, err := dbA.Pool().Exec(ctx, `DELETE FROM scim_tokens WHERE org_id = $1`, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	// One notification per deleted token: wait for all of them.
	deleted := tag.RowsAffected()
	waitFor(t, "B's notifications of the deletion", func() bool { _, _, n := b.SCIMTokenCacheState(); return n >= before+uint64(deleted) })
	refused(t, b, s3, "replica B after the token's deletion")
}

// While a replica's LISTEN connection is down it caches nothing and checks the
// database on every request, so a revocation it cannot hear of still counts.
func TestSCIMTokenCacheBypassedWhileListenerDown(t *testing.T) {
	ctx := context.Background()
	db := migrated(t)
	hold := postgres.HoldReconnect(db)
	s := store.New(db, store.Options{})
	_, secret, tok := orgToken(t, s)
	authN(t, s, secret, 1)
	waitFor(t, "the listener", func() bool { c, _, _ := s.SCIMTokenCacheState(); return c })
	authN(t, s, secret, 2)
	if _, n, _ := s.SCIMTokenCacheState(); n != 1 {
		t.Fatalf("cached %d tokens, want 1", n)
	}

	// Kill the LISTEN connection; it stays down until hold is sent to.
	kill := func() {
		if _, err := db.Pool().Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = $1 AND datname = current_database()`, postgres.ListenerApplicationName); err != nil {
			t.Fatal(err)
		}
	}
	kill()
	waitFor(t, "the cache to go down", func() bool { c, _, _ := s.SCIMTokenCacheState(); return !c })
	if c, n, _ := s.SCIMTokenCacheState(); c || n != 0 {
		t.Fatalf("listener down: caching %v with %d tokens, want off and flushed", c, n)
	}
	// Revoked behind its back (no notification can reach it, as if missed).
	if _, err := db.Pool().Exec(ctx, `ALTER TABLE scim_tokens DISABLE TRIGGER scim_tokens_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE scim_tokens SET revoked_at = now() WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `ALTER TABLE scim_tokens ENABLE TRIGGER scim_tokens_changed`); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		refused(t, s, secret, "a revoked token while the listener is down")
	}
	if c, n, _ := s.SCIMTokenCacheState(); c || n != 0 {
		t.Fatalf("listener down: caching %v with %d tokens", c, n)
	}
	// Back up: the flushed cache refuses it too.
	hold <- struct{}{}
	waitFor(t, "the listener to reconnect", func() bool { c, _, _ := s.SCIMTokenCacheState(); return c })
	refused(t, s, secret, "a revoked token after the listener came back")
}

// A replica that never hears of a revocation (its notification lost or late:
// a stalled connection) still refuses the token on its next request once
// RevokeSCIMToken has returned on another replica: the revocation returns
// only after every validation read before it has aged out of every cache.
func TestSCIMTokenRevokedEverywhereOnceRevokeReturns(t *testing.T) {
	ctx := context.Background()
	_, dbA, a, b := twoReplicas(t)
	org, secret, tok := orgToken(t, a)
	authN(t, b, secret, 1)
	waitFor(t, "B's listener", func() bool { c, _, _ := b.SCIMTokenCacheState(); return c })
	authN(t, b, secret, 1)
	if _, n, _ := b.SCIMTokenCacheState(); n != 1 {
		t.Fatalf("B cached %d tokens, want 1", n)
	}

	// No notification reaches B (nor anyone) for this revocation.
	if _, err := dbA.Pool().Exec(ctx, `ALTER TABLE scim_tokens DISABLE TRIGGER scim_tokens_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RevokeSCIMToken(ctx, store.SupportActor("test"), org.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	refused(t, b, secret, "replica B, never told, right after A's revocation returned")
	refused(t, a, secret, "replica A after its own revocation")
	if c, _, _ := b.SCIMTokenCacheState(); !c {
		t.Errorf("B's listener went down: the test proved nothing about its cache")
	}
}
