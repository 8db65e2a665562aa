package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// A sign-in request blocked on a row lock that is never released (and
// without a statement timeout) does not hold the shutdown: once
// IDBRIDGE_SHUTDOWN_TIMEOUT passes, its context is cancelled, Run returns and
// the database pool closes, all while the lock is still held.
func TestShutdownTimeoutIsAHardLimit(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	if strings.Contains(dbURL, "?") {
		dbURL += "&statement_timeout=0"
	} else {
		dbURL += "?statement_timeout=0"
	}
	cfg := config.Default()
	cfg.DatabaseURL, cfg.DataDir, cfg.Addr = config.Secret(dbURL), t.TempDir(), "127.0.0.1:0"
	cfg.ShutdownTimeout = 100 * time.Millisecond
	log := NewLogger(io.Discard, 0)
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stopped := make(chan error, 1)
	go func() {
		err := New(cfg, st, log, nil).Run(runCtx, ln)
		st.Backend().Close() // as serve does
		stopped <- err
	}()

	lockTable(t, dbURL, "orgs") // held until the test ends
	blocked := make(chan error, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/login", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"identifier": {"ada@acme.example"}}.Encode()))
		if err == nil {
			resp.Body.Close()
		}
		blocked <- err
	}()
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	pc, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := pc.Database
	waitLockWaiters(t, admin, name, "%d.domain = $1%", 1, nil) // the sign-in's lookup by domain

	stop() // SIGTERM
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(time.Minute): // a guard against a hang, far above the 100 ms limit
		t.Fatal("Run and the pool did not stop while a request waited on a lock")
	}
	<-blocked // the request was answered or its connection closed
	var waiting int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
		name).Scan(&waiting); err != nil || waiting != 0 {
		t.Errorf("after shutdown %d sessions still wait on the lock (%v), want 0", waiting, err)
	}
}

// A SCIM body the client does not finish sending within the server's read
// timeout is answered 408 (not 413: it was not too large).
func TestSCIMBodyReadTimeoutIs408(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	log := NewLogger(io.Discard, 0)
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Backend().Close()
	_, token := orgWithToken(t, st)
	srv := httptest.NewUnstartedServer(New(cfg, st, log, nil).Handler())
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Ten bytes of a hundred, then nothing.
	if _, err := io.WriteString(conn, "POST /scim/v2/Users HTTP/1.1\r\nHost: idbridge\r\nAuthorization: Bearer "+token+
		"\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{\"schemas\""); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"status":"408"`) {
		t.Errorf("a body not sent in time = %d %s, want 408 with a SCIM error", resp.StatusCode, body)
	}
}
