package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secretKeyFile is where a development secret key is kept, under DataDir.
const secretKeyFile = "secret.key"

// EnsureSecretKey returns c with SecretKey set. When IDBRIDGE_SECRET_KEY is
// unset it reads <DataDir>/secret.key, creating it (mode 0600, 32 random
// bytes in base64) the first time, and reports created=true so the caller can
// log that a development key is in use. Replicas sharing a database must all
// set the same IDBRIDGE_SECRET_KEY instead: a per-machine file would make
// each replica unable to open the others' sealed settings.
func (c Config) EnsureSecretKey() (_ Config, created bool, err error) {
	if c.SecretKey != "" {
		return c, false, nil
	}
	path := filepath.Join(c.DataDir, secretKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k := strings.TrimSpace(string(b))
		if len(k) < 32 {
			return c, false, fmt.Errorf("%s: the secret key is shorter than 32 characters", path)
		}
		c.SecretKey = Secret(k)
		return c, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return c, false, fmt.Errorf("read secret key: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return c, false, fmt.Errorf("create data dir: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	k := base64.StdEncoding.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process won the race: use its key
		return c.EnsureSecretKey()
	}
	if err != nil {
		return c, false, fmt.Errorf("create secret key: %w", err)
	}
	if _, err := f.WriteString(k + "\n"); err != nil {
		f.Close()
		return c, false, fmt.Errorf("write secret key: %w", err)
	}
	if err := f.Close(); err != nil {
		return c, false, fmt.Errorf("write secret key: %w", err)
	}
	c.SecretKey = Secret(k)
	return c, true, nil
}
