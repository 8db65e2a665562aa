package server

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
)

// testConfig is a real server's configuration on port 0 with the embedded
// SQLite default in the test's own data dir.
func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	return cfg
}

// openTestStore opens (and migrates) cfg's store as serve does, closed when
// the test ends.
func openTestStore(t *testing.T, ctx context.Context, cfg config.Config) *store.Store {
	t.Helper()
	st, err := OpenStore(ctx, cfg, NewLogger(io.Discard, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Backend().Close() })
	return st
}

// runTestServer runs srv on a loopback port until ctx ends; it answers the
// base URL and the channel Run's result arrives on.
func runTestServer(t *testing.T, ctx context.Context, srv *Server, cfg config.Config) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	return "http://" + ln.Addr().String(), done
}

// testOrg makes a company and its org with the verified domain acme.example.
func testOrg(t *testing.T, ctx context.Context, st *store.Store) store.Org {
	t.Helper()
	sup := store.SupportActor("test")
	c, err := st.CreateCompany(ctx, sup, "Acme Inc")
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: c.ID, Name: "Acme", Domains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	return org
}
