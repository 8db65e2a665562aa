package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
)

// cheap is argon2id at a cost tests can afford; the algorithm is the real one.
var cheap = store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}

// hasher is a Store with no database: hashing never touches one.
func hasher() *store.Store { return store.New(nil, store.Options{Password: cheap}) }

func TestPasswordHashVerify(t *testing.T) {
	ctx := context.Background()
	s := hasher()
	hash, err := s.HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if want := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(hash, want) {
		t.Errorf("hash = %q, want prefix %q", hash, want)
	}
	again, _ := s.HashPassword(ctx, "correct horse battery")
	if again == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	// A hash made with other costs (the default) still verifies: the PHC string carries them.
	strong, err := store.New(nil, store.Options{}).HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatalf("HashPassword (default params): %v", err)
	}
	tests := []struct {
		name, hash, pw string
		want           bool
	}{
		{name: "right password", hash: hash, pw: "correct horse battery", want: true},
		{name: "second hash", hash: again, pw: "correct horse battery", want: true},
		{name: "default params", hash: strong, pw: "correct horse battery", want: true},
		{name: "wrong password", hash: hash, pw: "correct horse batterY"},
		{name: "empty password", hash: hash, pw: ""},
		{name: "prefix of the password", hash: hash, pw: "correct horse"},
		{name: "no hash (no password set)", hash: "", pw: ""},
		{name: "no hash, some password", hash: "", pw: "correct horse battery"},
		{name: "garbage", hash: "not a hash", pw: "correct horse battery"},
		{name: "argon2i", hash: strings.Replace(hash, "argon2id", "argon2i", 1), pw: "correct horse battery"},
		{name: "other version", hash: strings.Replace(hash, "v=19", "v=16", 1), pw: "correct horse battery"},
		{name: "zero threads", hash: strings.Replace(hash, "p=1", "p=0", 1), pw: "correct horse battery"},
		{name: "memory out of range", hash: strings.Replace(hash, "m=64", "m=9999999", 1), pw: "correct horse battery"},
		{name: "passes out of range", hash: strings.Replace(hash, "t=1", "t=99", 1), pw: "correct horse battery"},
		{name: "bad salt", hash: replacePart(hash, 4, "!!!"), pw: "correct horse battery"},
		{name: "bad key", hash: replacePart(hash, 5, "!!!"), pw: "correct horse battery"},
		{name: "short key", hash: replacePart(hash, 5, "AAAA"), pw: "correct horse battery"},
		{name: "missing part", hash: hash[:strings.LastIndexByte(hash, '$')], pw: "correct horse battery"},
		{name: "too long password", hash: hash, pw: strings.Repeat("x", store.MaxPasswordLength+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.VerifyPassword(ctx, tc.hash, tc.pw)
			if err != nil {
				t.Fatalf("VerifyPassword: %v", err)
			}
			if got != tc.want {
				t.Errorf("VerifyPassword(%q, %q) = %v, want %v", tc.hash, tc.pw, got, tc.want)
			}
		})
	}
}

// replacePart replaces the i-th $-separated part of a PHC string.
func replacePart(phc string, i int, with string) string {
	parts := strings.Split(phc, "$")
	parts[i] = with
	return strings.Join(parts, "$")
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw string
		ok       bool
	}{
		{name: "ten characters", pw: "abcdefghij", ok: true},
		{name: "nine characters", pw: "abcdefghi"},
		{name: "ten accented runes", pw: "éééééééééé", ok: true},
		{name: "empty", pw: ""},
		{name: "256 bytes", pw: strings.Repeat("a", store.MaxPasswordLength), ok: true},
		{name: "257 bytes", pw: strings.Repeat("a", store.MaxPasswordLength+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CheckPassword(tc.pw)
			if tc.ok && err != nil {
				t.Errorf("CheckPassword: %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CheckPassword: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	tests := []struct{ name, prefix string }{
		{name: "scim token", prefix: store.SCIMTokenPrefix},
		{name: "invitation", prefix: "inv_"},
		{name: "no prefix", prefix: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret, hash, err := store.NewSecret(tc.prefix)
			if err != nil {
				t.Fatalf("NewSecret: %v", err)
			}
			if !strings.HasPrefix(secret, tc.prefix) || len(secret) < len(tc.prefix)+43 {
				t.Errorf("secret %q: want prefix %q and 32 random bytes", secret, tc.prefix)
			}
			if strings.ContainsAny(secret[len(tc.prefix):], "+/=") {
				t.Errorf("secret %q is not URL-safe", secret)
			}
			if !bytes.Equal(hash, store.HashSecret(secret)) || len(hash) != 32 {
				t.Errorf("hash %x is not the SHA-256 of the secret", hash)
			}
			other, otherHash, _ := store.NewSecret(tc.prefix)
			if other == secret || bytes.Equal(otherHash, hash) {
				t.Error("two secrets are equal")
			}
		})
	}
	if bytes.Equal(store.HashSecret("a"), store.HashSecret("b")) {
		t.Error("HashSecret(a) == HashSecret(b)")
	}
}
