package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/server"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// The server mounts the pages behind cross-origin protection, and the SAML
// and OIDC providers' callbacks outside it.
func TestServerMountsPagesAndProviders(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	cfg := config.Default()
	cfg.DataDir, cfg.BaseURL = t.TempDir(), e.base
	cfg.SecretKey = config.Secret(strings.Repeat("k", 32))
	srv := httptest.NewServer(server.New(cfg, e.st, slog.New(slog.NewTextHandler(io.Discard, nil)), nil).Handler())
	defer srv.Close()
	b := &browser{e: e, c: e.browser().c}
	e.base = srv.URL
	if r := b.get("/login"); r.code != http.StatusOK || !strings.Contains(r.body, `name="identifier"`) {
		t.Fatalf("GET /login = %d", r.code)
	}
	form := url.Values{"email": {"bob@acme.example"}, "password": {f.password}, "org": {f.org.ID}}
	if r := b.post("/login/password", form, "Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
		t.Fatalf("cross-site POST = %d, want 403", r.code)
	}
	b.mustSignIn("bob@acme.example", f.password)
	// The providers' routes answer (not the router's 404), and the SAML ACS
	// takes a cross-site POST (the IdP's) without the pages' protection.
	sp, err := e.st.CreateConnection(e.ctx, store.SupportActor("test"), f.org.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "S", Settings: []byte(`{}`)})
	e.must(err)
	rp := e.addConnection(f.org, "O", `{}`)
	for _, path := range []string{"/saml/" + sp.ID + "/metadata", "/oidc/" + rp.ID + "/callback"} {
		if r := b.get(path); r.code == http.StatusNotFound {
			t.Errorf("GET %s = 404: no route", path)
		}
	}
	if r := b.post("/saml/"+sp.ID+"/acs", url.Values{"SAMLResponse": {"x"}}, "Sec-Fetch-Site", "cross-site"); r.code == http.StatusForbidden && strings.Contains(r.body, "another site") {
		t.Errorf("the ACS refused a cross-site POST: %d", r.code)
	}
}
