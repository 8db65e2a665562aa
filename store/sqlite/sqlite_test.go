package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlite"
	"github.com/idbridge/idbridge/store/sqlstore/smoketest"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "idbridge.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
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
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("not in WAL mode: %v", err)
	}
	return db
}

func TestSmoke(t *testing.T) { smoketest.Run(t, open(t)) }

// Concurrent read-modify-write transactions on one file neither deadlock nor
// fail with "database is locked".
func TestConcurrentWriters(t *testing.T) {
	db := open(t)
	f := smoketest.Seed(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.InTx(ctx, func(tx store.Tx) error {
				a, err := tx.GetAccount(ctx, f.Account.ID, store.LockUpdate)
				if err != nil {
					return err
				}
				a.FailedAttempts++
				return tx.UpdateAccount(ctx, a)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var a store.Account
	err := db.ReadTx(ctx, func(tx store.Tx) (err error) { a, err = tx.GetAccount(ctx, f.Account.ID, store.LockNone); return err })
	if err != nil || a.FailedAttempts != 20 {
		t.Fatalf("got %d attempts, %v; want 20", a.FailedAttempts, err)
	}
}

func TestClosed(t *testing.T) {
	db := open(t)
	_ = db.Close()
	if err := db.Ready(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}
