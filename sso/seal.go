package sso

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sealer encrypts the secrets that connection settings keep (a SAML SP's
// private key, an OIDC client secret) with a key derived from the server's
// IDBRIDGE_SECRET_KEY. Sealed values are bound to a purpose (for example the
// connection id and field name) so that one cannot be pasted in place of another.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives an AES-256-GCM key from secret (at least 32 bytes).
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("sso: the secret key must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "idbridge sso settings v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for purpose and returns base64 text.
func (s *Sealer) Seal(plaintext []byte, purpose string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	out := s.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return base64.RawStdEncoding.EncodeToString(out)
}

// ErrSealed is returned when a sealed value cannot be opened: a different
// server key, another purpose, or damaged text.
var ErrSealed = errors.New("sso: sealed value cannot be opened with this server key")

// Open decrypts what Seal returned for the same purpose.
func (s *Sealer) Open(sealed, purpose string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrSealed
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return nil, ErrSealed
	}
	return pt, nil
}
