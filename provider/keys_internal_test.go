package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlite"
)

// migrated is a fresh SQLite database.
func migrated(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "idbridge.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// Two replicas over one database sign with the same key and publish it; the
// key is stored sealed, and another server key cannot open it.
func TestKeysSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	db := migrated(t)
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
	if err != nil || len(set) != 2 || set[0].ID() != ka.ID() || set[0].Use() != "sig" {
		t.Errorf("KeySet = %v, %v; want the signing key and the next one", set, err)
	}
	stored, err := a.st.SigningKeys(ctx)
	if err != nil || len(stored) != 2 || strings.Contains(stored[0].PrivateKey, "PRIVATE") {
		t.Fatalf("stored keys = %v, %v", stored, err)
	}
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	if _, err := replica(other).SigningKey(ctx); !errors.Is(err, sso.ErrSealed) {
		t.Errorf("another server key: %v, want ErrSealed", err)
	}
}

// A rotation while tokens are live: the next key is published a period
// ahead, signs from its time on every replica, and the replaced key stays
// published until the tokens it signed expired, then goes.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	db := migrated(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	sealer, err := sso.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(db, store.Options{Now: clock})
	replica := func() *keys { return &keys{st: st, sealer: sealer, keep: 15 * time.Minute, now: clock} }
	a, b := replica(), replica()
	published := func(k *keys) []string {
		t.Helper()
		set, err := k.KeySet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(set))
		for i, s := range set {
			ids[i] = s.ID()
		}
		return ids
	}
	signer := func(k *keys) string {
		t.Helper()
		s, err := k.SigningKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.ID()
	}
	first := signer(a)
	ids := published(b)
	if len(ids) != 2 || ids[0] != first || signer(b) != first {
		t.Fatalf("published %v, signing %s; want the signing key and the next one", ids, first)
	}
	next := ids[1]
	now = now.Add(keyPeriod - time.Second)
	if signer(a) != first || signer(b) != first {
		t.Errorf("before the period's end the first key still signs")
	}
	now = now.Add(time.Second)
	if signer(a) != next || signer(b) != next {
		t.Errorf("at the period's end: %s and %s sign, want the next key %s on both replicas", signer(a), signer(b), next)
	}
	now = now.Add(keyReload) // a replica's next read of the keys rotates them
	if ids := published(a); !slices.Contains(ids, first) || !slices.Contains(ids, next) || len(ids) != 3 {
		t.Errorf("after the switch published %v, want the replaced, the signing and a new next key", ids)
	}
	now = now.Add(15 * time.Minute)
	if ids := published(b); slices.Contains(ids, first) || len(ids) != 2 {
		t.Errorf("after the replaced key's tokens expired published %v, want it gone", ids)
	}
	stored, err := st.SigningKeys(ctx)
	if err != nil || len(stored) != 2 {
		t.Errorf("stored keys = %d, %v; want the retired key deleted", len(stored), err)
	}
}
