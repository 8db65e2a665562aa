package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
)

// TestSCIMLogWrittenOnShutdownAndPurged: a SCIM request through the running
// server is in the org's request log once the server stopped gracefully
// (the writer drains its buffer), the drop counter is exported, and the
// purge keeps IDBRIDGE_SCIM_LOG_RETENTION.
func TestSCIMLogWrittenOnShutdownAndPurged(t *testing.T) {
	cfg := testConfig(t)
	cfg.SCIMLogRetention = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := openTestStore(t, ctx, cfg)
	sup := store.SupportActor("test")
	org := testOrg(t, ctx, st)
	secret, _, err := st.CreateSCIMToken(ctx, sup, org.ID, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(cfg, st, NewLogger(io.Discard, 0), nil)
	base, done := runTestServer(t, ctx, srv, cfg)
	req, _ := http.NewRequest("GET", base+"/scim/v2/Users?filter=userName%20eq%20%22ann%40acme.example%22", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SCIM GET: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "idbridge_scim_log_dropped_total 0") {
		t.Errorf("no drop counter in /metrics")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rs, _, err := st.ListSCIMRequests(context.Background(), org.ID, store.LogQuery{})
	if err != nil || len(rs) != 1 || rs[0].Filter != `userName eq "ann@acme.example"` || rs[0].TokenName != "Okta" {
		t.Fatalf("the log after shutdown: %+v %v", rs, err)
	}
	// An hour-old record goes with a retention of one hour; the new one stays.
	old := rs[0]
	old.At = time.Now().Add(-2 * time.Hour)
	if err := st.RecordSCIMRequests(context.Background(), []store.SCIMRequest{old}); err != nil {
		t.Fatal(err)
	}
	srv.purgeLogs(context.Background())
	rs, _, _ = st.ListSCIMRequests(context.Background(), org.ID, store.LogQuery{})
	if len(rs) != 1 || rs[0].At.Before(time.Now().Add(-time.Hour)) {
		t.Fatalf("after the purge: %+v", rs)
	}
}
