package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsureSecretKeyCreatesOnceAndKeeps(t *testing.T) {
	c := Default()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	c1, created, err := c.EnsureSecretKey()
	if err != nil || !created || len(c1.SecretKey.Reveal()) < 32 {
		t.Fatalf("first call: created=%v err=%v len=%d", created, err, len(c1.SecretKey.Reveal()))
	}
	fi, err := os.Stat(filepath.Join(c.DataDir, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}
	c2, created, err := c.EnsureSecretKey()
	if err != nil || created || c2.SecretKey != c1.SecretKey {
		t.Fatalf("second call: created=%v err=%v, want the same key", created, err)
	}
	c.SecretKey = Secret(strings.Repeat("k", 40))
	c3, created, _ := c.EnsureSecretKey()
	if created || c3.SecretKey != c.SecretKey {
		t.Fatal("a configured key must win over the file")
	}
}

func TestSecretKeyValidatedAndRedacted(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"IDBRIDGE_SECRET_KEY": "short"}))
	if err == nil || !strings.Contains(err.Error(), "IDBRIDGE_SECRET_KEY") {
		t.Fatalf("short key: err = %v", err)
	}
	c, err = Load(nil, env(map[string]string{"IDBRIDGE_SECRET_KEY": strings.Repeat("s3cr3t", 8), "IDBRIDGE_ALLOW_PRIVATE_METADATA": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.AllowPrivateMetadata {
		t.Error("AllowPrivateMetadata not read")
	}
	if strings.Contains(c.String(), "s3cr3t") {
		t.Errorf("String() leaks the secret key: %s", c)
	}
}
