// Package pgtest gives each test its own throw-away PostgreSQL database.
//
// The server is TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres
// when unset. When it cannot be reached the test is skipped, unless
// IDBRIDGE_REQUIRE_POSTGRES=1 (CI), when it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server tried when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is the URL of the test server.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates an empty database idbridge_test_<random> on the test
// server, drops it when the test ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		if os.Getenv("IDBRIDGE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("pgtest: PostgreSQL required (IDBRIDGE_REQUIRE_POSTGRES=1) but unreachable: %v", err)
		}
		t.Skipf("pgtest: no PostgreSQL at TEST_DATABASE_URL or %s: %v", DefaultURL, err)
	}
	defer conn.Close(context.Background())

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "idbridge_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := databaseURL(server, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// databaseURL is server with its database replaced by name. Both URL and
// keyword/value connection strings are accepted.
func databaseURL(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// keyword/value form: a later dbname wins.
		return server + " dbname=" + name, nil
	}
	u.Path = "/" + name
	q := u.Query()
	if q.Has("dbname") {
		q.Set("dbname", name)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
