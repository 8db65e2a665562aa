package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id costs.
type PasswordParams struct {
	MemoryKiB uint32
	Passes    uint32
	Threads   uint8
}

// DefaultPasswordParams are OWASP's argon2id minimum: 19 MiB, 2 passes, 1 thread.
var DefaultPasswordParams = PasswordParams{MemoryKiB: 19 * 1024, Passes: 2, Threads: 1}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// MaxPasswordLength bounds the hashing work one request can ask for.
const MaxPasswordLength = 256

const saltLen, keyLen = 16, 32

// CheckPassword validates a new password's length.
func CheckPassword(pw string) error {
	switch n := len([]rune(pw)); {
	case n < MinPasswordLength:
		return invalid("password", "must be at least %d characters", MinPasswordLength)
	case len(pw) > MaxPasswordLength:
		return invalid("password", "must be at most %d bytes", MaxPasswordLength)
	}
	return nil
}

// acquireHash bounds concurrent argon2id work (it costs ~20 MiB and tens of ms
// each). A bounded caller (a password check) fails with ErrBusy when
// HashQueue others are already waiting; others wait until ctx ends. When
// others wait at release, the slot rests (1/HashDuty - 1) times the hash's
// duration before it is free again (the caller does not wait for that), so a
// flood keeps hashing to HashConcurrency × HashDuty cores.
func (s *Store) acquireHash(ctx context.Context, bounded bool) (func(), error) {
	select {
	case s.hashSem <- struct{}{}:
		return s.hashRelease(time.Now()), nil
	default:
	}
	s.hashWait.Add(1)
	defer s.hashWait.Add(-1)
	if bounded && s.hashWait.Load() > int64(s.opt.HashQueue) {
		return nil, ErrBusy
	}
	select {
	case s.hashSem <- struct{}{}:
		return s.hashRelease(time.Now()), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Store) hashRelease(start time.Time) func() {
	return func() {
		if d := s.opt.HashDuty; d < 1 && s.hashWait.Load() > 0 {
			rest := time.Duration(float64(time.Since(start)) * (1/d - 1))
			time.AfterFunc(rest, func() { <-s.hashSem })
			return
		}
		<-s.hashSem
	}
}

// HashPassword returns an argon2id PHC string for pw.
func (s *Store) HashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.acquireHash(ctx, false)
	if err != nil {
		return "", err
	}
	defer release()
	p := s.opt.Password
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Passes, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Passes, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when an account has no password, so the time
// taken does not tell whether it exists.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// VerifyPassword reports whether pw matches the PHC string, in constant time.
// An empty or malformed hash never matches (but costs the same work). It
// fails with ErrBusy, without hashing, when Options.HashQueue checks wait.
func (s *Store) VerifyPassword(ctx context.Context, hash, pw string) (bool, error) {
	release, err := s.acquireHash(ctx, true)
	if err != nil {
		return false, err
	}
	defer release()
	ok := true
	if hash == "" {
		hash, ok = dummyHash, false
	}
	p, salt, want, err := parsePHC(hash)
	if err != nil {
		p, salt, want, _ = parsePHC(dummyHash)
		ok = false
	}
	if len(pw) > MaxPasswordLength {
		pw, ok = pw[:MaxPasswordLength], false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Passes, p.MemoryKiB, p.Threads, uint32(len(want)))
	s.checks.Add(1)
	return subtle.ConstantTimeCompare(got, want) == 1 && ok, nil
}

// PasswordChecks is the number of passwords this Store has checked
// (VerifyPassword's argon2id work), for tests and metrics.
func (s *Store) PasswordChecks() int64 { return s.checks.Load() }

func parsePHC(h string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Passes, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("argon2 params: %w", err)
	}
	if p.MemoryKiB > 1<<20 || p.Passes > 10 || p.Threads == 0 {
		return p, nil, nil, errors.New("argon2 params out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("argon2 salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("argon2 key malformed")
	}
	return p, salt, key, nil
}

// NewSecret returns a random URL-safe secret with the given prefix and the
// SHA-256 of the whole string, which is what gets stored.
func NewSecret(prefix string) (secret string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("random secret: %w", err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret), nil
}

// HashSecret is the stored form of a token, session id or link secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
