package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlite"
	"github.com/idbridge/idbridge/store/storetest"
)

// TestConformance runs the store conformance suite on one migrated SQLite file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "conformance.db"))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		return db
	})
}
