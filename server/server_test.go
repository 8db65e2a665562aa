package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/config"
)

// The real server on port 0 with the embedded SQLite default: health,
// readiness and metrics answer, and cancelling the context shuts it down.
func TestServeHealthReadyMetricsAndShutdown(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openTestStore(t, ctx, cfg)
	base, done := runTestServer(t, ctx, New(cfg, st, NewLogger(io.Discard, 0), nil), cfg)

	for _, tt := range []struct{ path, want string }{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", "idbridge_http_requests_total"},
	} {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), tt.want) {
			t.Fatalf("GET %s = %d %q, want 200 containing %q", tt.path, resp.StatusCode, body, tt.want)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("GET %s has no X-Request-Id", tt.path)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
}

// readyz answers 503 once the database is gone.
func TestReadyzFailsWhenDatabaseCloses(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	log := NewLogger(io.Discard, 0)
	st, err := OpenStore(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h := New(cfg, st, log, nil).Handler()
	st.Backend().Close()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz after close = %d, want 503", rec.Code)
	}
}
