package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
	"github.com/idbridge/idbridge/store/sqlstore/smoketest"
)

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func migrated(t *testing.T) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db := open(t, pgtest.NewDatabase(t))
	if err := db.Ready(ctx); err == nil {
		t.Fatal("Ready before Migrate: got nil, want an error")
	}
	for range 2 { // idempotent
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	return db
}

func TestSmoke(t *testing.T) { smoketest.Run(t, migrated(t)) }

// Replicas starting together on a fresh database both migrate successfully.
func TestConcurrentMigrate(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dbs := []*postgres.DB{open(t, url), open(t, url), open(t, url)}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Migrate(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
		if err := dbs[i].Ready(context.Background()); err != nil {
			t.Fatalf("ready %d: %v", i, err)
		}
	}
}

// Two transactions locking the same rows in opposite orders: PostgreSQL
// detects the deadlock, and the loser's error wraps store.ErrRetry.
func TestDeadlockIsRetry(t *testing.T) {
	db := migrated(t)
	f := smoketest.Seed(t, db)
	// A missed deadlock must fail the test, not stall the suite.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := []string{f.Account.ID, f.OtherAccount.ID}
	locked := make(chan struct{}, 2)
	both := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.InTx(ctx, func(tx store.Tx) error {
				if _, err := tx.GetAccount(ctx, ids[i], store.LockUpdate); err != nil {
					return err
				}
				locked <- struct{}{}
				<-both
				_, err := tx.GetAccount(ctx, ids[1-i], store.LockUpdate)
				return err
			})
		}()
	}
	<-locked
	<-locked
	close(both)
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("want exactly one failure, got %v and %v", errs[0], errs[1])
	}
	err := errors.Join(errs...)
	if !errors.Is(err, store.ErrRetry) {
		t.Fatalf("got %v, want an error wrapping ErrRetry", err)
	}
}

func TestUnavailable(t *testing.T) {
	db := migrated(t)
	_ = db.Close()
	err := db.InTx(context.Background(), func(store.Tx) error { return nil })
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("closed pool: got %v, want ErrUnavailable", err)
	}
	_, err = postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("refused: got %v, want ErrUnavailable", err)
	}
}
