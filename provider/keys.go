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

// Key schedule: a key signs for keyPeriod; the next one is published a
// whole period ahead (at least keyAhead after a long stop); a replaced key
// stays published for the ID token lifetime plus keyReload.
const (
	keyPeriod = 30 * 24 * time.Hour
	keyAhead  = 24 * time.Hour
)

// keys are the provider's RS256 signing keys, kept in the database sealed
// with the server's secret key and shared by every replica, rotated on a
// schedule (store.RotateSigningKeys): every replica signs with the same
// key at the same time, and the next and the retired keys are published.
type keys struct {
	st     *store.Store
	sealer *sso.Sealer
	// keep is how long a replaced key stays published (the ID token lifetime).
	keep time.Duration
	now  func() time.Time

	mu       sync.Mutex
	loaded   []signingKey
	stored   []store.SigningKey
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

func (k *keys) policy() store.KeyPolicy {
	return store.KeyPolicy{Period: keyPeriod, Ahead: keyAhead, Keep: k.keep + keyReload}
}

func (k *keys) clock() time.Time {
	if k.now != nil {
		return k.now()
	}
	return time.Now()
}

// all returns the stored keys and their private keys, rotating them first
// when the schedule says so (under the store's lock: one replica rotates).
func (k *keys) all(ctx context.Context) ([]store.SigningKey, []signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.loaded) > 0 && k.clock().Sub(k.loadedAt) < keyReload {
		return k.stored, k.loaded, nil
	}
	stored, err := k.st.SigningKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	if store.SigningKeysDue(stored, k.clock(), k.policy()) {
		if _, err := k.st.RotateSigningKeys(ctx, k.policy(), k.create); err != nil {
			return nil, nil, err
		}
		if stored, err = k.st.SigningKeys(ctx); err != nil {
			return nil, nil, err
		}
	}
	ks, err := k.load(stored)
	if err != nil {
		return nil, nil, err
	}
	if len(ks) == 0 {
		return nil, nil, fmt.Errorf("no signing key")
	}
	k.stored, k.loaded, k.loadedAt = stored, ks, k.clock()
	return stored, ks, nil
}

// load opens the stored keys (RS256 ones; others are skipped).
func (k *keys) load(stored []store.SigningKey) ([]signingKey, error) {
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

// create makes a new sealed key for the store's rotation.
func (k *keys) create() (store.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	idb := make([]byte, 12)
	_, _ = rand.Read(idb) // crypto/rand.Read never fails
	id := base64.RawURLEncoding.EncodeToString(idb)
	sealed := k.sealer.Seal(x509.MarshalPKCS1PrivateKey(priv), sealPurpose(id))
	return store.SigningKey{ID: id, Alg: string(jose.RS256), PrivateKey: sealed}, nil
}

// SigningKey is the key that signs now (op.Storage).
func (k *keys) SigningKey(ctx context.Context) (op.SigningKey, error) {
	stored, ks, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	now := k.clock()
	for _, s := range stored {
		if s.Signs(stored, now) {
			for _, key := range ks {
				if key.id == s.ID {
					return key, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no signing key at %s", now.Format(time.RFC3339))
}

// SignatureAlgorithms are the algorithms tokens are signed with (op.Storage).
func (k *keys) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet is the published keys (op.Storage): the signing one, the next one
// and the replaced ones not yet past their end.
func (k *keys) KeySet(ctx context.Context) ([]op.Key, error) {
	stored, ks, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	now := k.clock()
	ended := map[string]bool{}
	for _, s := range stored {
		ended[s.ID] = s.RetireAt != nil && !now.Before(*s.RetireAt)
	}
	out := make([]op.Key, 0, len(ks))
	for _, s := range ks {
		if !ended[s.id] {
			out = append(out, publicKey{s})
		}
	}
	return out, nil
}
