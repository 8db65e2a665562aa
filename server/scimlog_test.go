package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
)

// TestSCIMLogWrittenOnShutdownAndPurged: a SCIM request through the running
// server is in the org's request log once the server stopped gracefully
// (the writer drains its buffer), the drop counter is exported, and the
// purge keeps IDBRIDGE_SCIM_LOG_RETENTION.
func TestSCIMLogWrittenOnShutdownAndPurged(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.SCIMLogRetention = time.Hour
	log := NewLogger(io.Discard, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Backend().Close()
	sup := store.SupportActor("test")
	c, err := st.CreateCompany(ctx, sup, "Acme Inc")
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: c.ID, Name: "Acme", Domains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := st.CreateSCIMToken(ctx, sup, org.ID, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(cfg, st, log, nil)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	base := "http://" + ln.Addr().String()
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
