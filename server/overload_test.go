package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// lockTable locks table of the database at dbURL from another session until
// unlock is called (or the test ends).
func lockTable(t *testing.T, dbURL, table string) (unlock func()) {
	t.Helper()
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close(ctx) })
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// waitLockWaiters returns once n sessions of db whose statement is like
// query wait for a lock; it fails when a request that should wait ends first.
func waitLockWaiters(t *testing.T, admin *pgx.Conn, db, query string, n int, held <-chan int) {
	t.Helper()
	for {
		select {
		case code := <-held:
			t.Fatalf("a request meant to wait on the lock ended first: %d", code)
		default:
		}
		var got int
		if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE $2`, db, query).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// With SCIM requests held inside (blocked on a table lock) up to the
// limits, one more is answered at once: 429 when its token has its share in
// progress, 503 when the replica is full, each with Retry-After and a SCIM
// error body; health, readiness and the sign-in page still answer, and the
// held requests complete once the lock goes.
func TestSCIMOverloadIsShed(t *testing.T) {
	cfg := config.Default()
	cfg.SCIMMaxInFlight, cfg.SCIMMaxInFlightPerToken, cfg.SCIMQueueWait = 3, 2, 10*time.Millisecond
	p := newPGServer(t, cfg)
	ctx := context.Background()
	second, _, err := p.st.CreateSCIMToken(ctx, store.SupportActor("test"), p.org.ID, "second IdP")
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", p.srv.URL+"/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return http.DefaultClient.Do(req)
	}
	mustShed := func(name, token string, status int) {
		t.Helper()
		resp, err := get(token)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc struct {
			Schemas []string
			Status  string
		}
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		if resp.StatusCode != status || resp.Header.Get("Retry-After") != "1" || len(doc.Schemas) != 1 ||
			doc.Status != strconv.Itoa(status) {
			t.Errorf("%s: %d Retry-After %q %+v, want %d with Retry-After and a SCIM error", name, resp.StatusCode,
				resp.Header.Get("Retry-After"), doc, status)
		}
	}

	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	unlock := lockTable(t, p.dbURL, "memberships")
	held := make(chan int, 3)
	hold := func(token string) {
		go func() {
			resp, err := get(token)
			if err != nil {
				held <- 0
				return
			}
			resp.Body.Close()
			held <- resp.StatusCode
		}()
	}
	hold(p.token)
	hold(p.token)
	waitLockWaiters(t, admin, p.dbName, "%memberships%", 2, held)
	mustShed("a third request of a token with two in progress", p.token, http.StatusTooManyRequests)
	hold(second)
	waitLockWaiters(t, admin, p.dbName, "%memberships%", 3, held)
	mustShed("a request to a full replica", second, http.StatusServiceUnavailable)

	for _, path := range []string{"/healthz", "/readyz", "/login"} {
		resp, err := http.Get(p.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s while SCIM is full = %d, want 200", path, resp.StatusCode)
		}
	}

	unlock()
	for range 3 {
		if code := <-held; code != http.StatusOK {
			t.Errorf("a held request ended %d, want 200 once the lock went", code)
		}
	}
	if resp, err := get(second); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after the burst: %v %v, want 200", resp, err)
	}
}
