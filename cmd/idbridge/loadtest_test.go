package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/scim"
	"github.com/idbridge/idbridge/server"
)

// TestLoadtestSCIM runs the load command, small, against a real SCIM endpoint.
func TestLoadtestSCIM(t *testing.T) {
	c := newCLI(t)
	var company, org struct{ ID string }
	var tok struct{ Token string }
	c.ok(&company, "company", "create", "--name", "Load")
	c.ok(&org, "org", "create", "--company", company.ID, "--name", "Load", "--domain", "load.example")
	c.ok(&tok, "scim-token", "create", "--org", org.ID, "--name", "load")

	cfg := config.Default()
	cfg.DataDir = c.env["IDBRIDGE_DATA_DIR"]
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := server.OpenStore(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Backend().Close()
	r := chi.NewRouter()
	r.Mount("/scim/v2", scim.NewHandler(st, scim.Options{Log: log}))
	srv := httptest.NewServer(r)
	defer srv.Close()

	var rep struct {
		Phases []struct {
			Name     string
			Requests int
			Errors   int
			First    string `json:"firstError"`
		}
	}
	c.ok(&rep, "loadtest", "scim", "--url", srv.URL+"/scim/v2", "--token", tok.Token,
		"--users", "30", "--groups", "3", "--workers", "4", "--batch", "7", "--lookups", "30", "--big-adds", "5")
	if len(rep.Phases) != 6 {
		t.Fatalf("phases: %+v", rep.Phases)
	}
	for _, p := range rep.Phases {
		if p.Errors != 0 || p.Requests == 0 {
			t.Errorf("%s: %d requests, %d errors (%s)", p.Name, p.Requests, p.Errors, p.First)
		}
	}
}
