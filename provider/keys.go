package provider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// keyReload is how long the keys read from the database are trusted: a key
// another replica added is published and used after at most that long.
const keyReload = time.Minute

// keys are the provider's RS256 signing keys, kept in the database sealed
// with the server's secret key and shared by every replica. The oldest key
// signs (every replica picks the same one); all are published.
type keys struct {
	st     *store.Store
	sealer *sso.Sealer

	mu       sync.Mutex
	loaded   []signingKey
	loadedAt time.Time
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is a published key (op.Key).
type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func sealPurpose(id string) string { return "oauth signing key " + id }

// all returns the keys, oldest first, making the first one when there is none.
func (k *keys) all(ctx context.Context) ([]signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.loaded) > 0 && time.Since(k.loadedAt) < keyReload {
		return k.loaded, nil
	}
	ks, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		if err := k.create(ctx); err != nil {
			return nil, err
		}
		// Another replica may have made one at the same time: both are
		// kept and published, and every replica signs with the oldest.
		if ks, err = k.load(ctx); err != nil {
			return nil, err
		}
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("no signing key")
	}
	k.loaded, k.loadedAt = ks, time.Now()
	return ks, nil
}

func (k *keys) load(ctx context.Context) ([]signingKey, error) {
	stored, err := k.st.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]signingKey, 0, len(stored))
	for _, s := range stored {
		if s.Alg != string(jose.RS256) {
			continue
		}
		der, err := k.sealer.Open(s.PrivateKey, sealPurpose(s.ID))
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", s.ID, err)
		}
		priv, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", s.ID, err)
		}
		out = append(out, signingKey{id: s.ID, key: priv})
	}
	return out, nil
}

func (k *keys) create(ctx context.Context) error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	idb := make([]byte, 12)
	_, _ = rand.Read(idb) // crypto/rand.Read never fails
	id := base64.RawURLEncoding.EncodeToString(idb)
	sealed := k.sealer.Seal(x509.MarshalPKCS1PrivateKey(priv), sealPurpose(id))
	return k.st.AddSigningKey(ctx, store.SigningKey{ID: id, Alg: string(jose.RS256), PrivateKey: sealed})
}

// SigningKey is the key that signs (op.Storage).
func (k *keys) SigningKey(ctx context.Context) (op.SigningKey, error) {
	ks, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	return ks[0], nil
}

// SignatureAlgorithms are the algorithms tokens are signed with (op.Storage).
func (k *keys) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet is the published keys (op.Storage).
func (k *keys) KeySet(ctx context.Context) ([]op.Key, error) {
	ks, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(ks))
	for i, s := range ks {
		out[i] = publicKey{s}
	}
	return out, nil
}
