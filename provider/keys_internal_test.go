package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlite"
)

// Two replicas over one database sign with the same key and publish it; the
// key is stored sealed, and another server key cannot open it.
func TestKeysSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "idbridge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	replica := func(secret []byte) *keys {
		sealer, err := sso.NewSealer(secret)
		if err != nil {
			t.Fatal(err)
		}
		return &keys{st: store.New(db, store.Options{}), sealer: sealer}
	}
	a, b := replica(secret), replica(secret)
	ka, err := a.SigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.SigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ka.ID() != kb.ID() {
		t.Errorf("replicas sign with %s and %s, want one key", ka.ID(), kb.ID())
	}
	set, err := b.KeySet(ctx)
	if err != nil || len(set) != 1 || set[0].ID() != ka.ID() || set[0].Use() != "sig" {
		t.Errorf("KeySet = %v, %v", set, err)
	}
	stored, err := a.st.SigningKeys(ctx)
	if err != nil || len(stored) != 1 || strings.Contains(stored[0].PrivateKey, "PRIVATE") {
		t.Fatalf("stored keys = %v, %v", stored, err)
	}
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	if _, err := replica(other).SigningKey(ctx); !errors.Is(err, sso.ErrSealed) {
		t.Errorf("another server key: %v, want ErrSealed", err)
	}
}
