package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/saml"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// The console's Single sign-on and Provisioning pages (issue 10).

// withSAML mounts the real SAML provider, as the server does.
func withSAML(t *testing.T) func(r chi.Router, st *store.Store, w *web.Web, base string) {
	return func(r chi.Router, st *store.Store, w *web.Web, base string) {
		sealer, err := sso.NewSealer([]byte(strings.Repeat("s", 32)))
		if err != nil {
			t.Fatal(err)
		}
		sp, err := saml.New(st, w, saml.Options{BaseURL: base, Sealer: sealer, Fetch: sso.FetchOptions{AllowPrivate: true}})
		if err != nil {
			t.Fatal(err)
		}
		w.AddProvider(sp)
		sp.Mount(r)
	}
}

// samlBackends runs f on SQLite and PostgreSQL with the real SAML provider.
func samlBackends(t *testing.T, f func(t *testing.T, e *env)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, newEnvOn(t, kind, web.Options{}, withSAML(t)))
		})
	}
}

// field is the value of the input with id on a page.
func field(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<input[^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		m = regexp.MustCompile(`<input[^>]*value="([^"]*)"[^>]*id="` + regexp.QuoteMeta(id) + `"`).FindStringSubmatch(body)
	}
	if m == nil {
		t.Fatalf("no field %s on the page:\n%s", id, text(body))
	}
	return m[1]
}

// TestConsoleSSOSetup: add an Okta connection through the guide, see a
// refused metadata next to its field, save the real one, test it, enable
// SSO through the confirmation with its counts, and disable it.
func TestConsoleSSOSetup(t *testing.T) {
	samlBackends(t, func(t *testing.T, e *env) {
		p := newIdP(t)
		f := e.seed()
		admin := e.browser()
		admin.mustSignIn("ada@acme.example", f.password)

		r := admin.get("/admin/sso")
		page := text(r.body)
		if r.code != http.StatusOK || !strings.Contains(page, "No connection yet") || !strings.Contains(page, "acme.example") ||
			!strings.Contains(page, "SSO is off") || !strings.Contains(r.body, `<a href="/admin/sso" aria-current="page">`) {
			t.Fatalf("SSO page = %d:\n%s", r.code, page)
		}
		if r := admin.post("/admin/sso/new", url.Values{"idp": {"nope"}}); r.code != http.StatusBadRequest || !strings.Contains(r.body, `id="idp-error"`) {
			t.Fatalf("unknown IdP = %d %s", r.code, text(r.body))
		}
		r = admin.post("/admin/sso/new", url.Values{"idp": {"okta"}, "name": {"Acme Okta"}})
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/admin/sso/") || !strings.HasSuffix(r.loc, "?idp=okta") {
			t.Fatalf("add connection = %d %q %s", r.code, r.loc, text(r.body))
		}
		guide := r.loc
		cs, err := e.st.ListConnections(e.ctx, f.org.ID)
		e.must(err)
		if len(cs) != 1 || cs[0].Kind != store.ConnectionSAML || cs[0].Name != "Acme Okta" || len(cs[0].Settings) != 0 {
			t.Fatalf("connections after add = %+v, want one draft SAML connection", cs)
		}
		c := cs[0]
		r = admin.get(guide)
		page = text(r.body)
		if r.code != http.StatusOK || !strings.Contains(page, "Create App Integration") || !strings.Contains(page, "Audience URI (SP Entity ID)") {
			t.Fatalf("Okta guide = %d:\n%s", r.code, page)
		}
		if got := field(t, r.body, "acs-url"); got != e.base+"/saml/"+c.ID+"/acs" {
			t.Errorf("ACS URL to copy = %q", got)
		}
		if got := field(t, r.body, "entity-id"); got != e.base+"/saml/"+c.ID+"/metadata" {
			t.Errorf("entity ID to copy = %q", got)
		}
		if !strings.Contains(r.body, `readonly`) || !strings.Contains(r.body, `data-copy="acs-url"`) {
			t.Errorf("our values are not read-only fields with a copy button")
		}
		if strings.Contains(r.body, "/connections/"+c.ID+"/test") {
			t.Errorf("a draft offers a test sign-in")
		}
		// Bad metadata: refused next to its field, nothing saved.
		r = admin.post("/admin/sso/"+c.ID, url.Values{"idp": {"okta"}, "metadataXml": {"<EntityDescriptor/>"}})
		if r.code != http.StatusBadRequest || !regexp.MustCompile(`id="md-error"[^>]*>[^<]*idp metadata`).MatchString(r.body) ||
			!strings.Contains(r.body, "&lt;EntityDescriptor/&gt;") {
			t.Fatalf("bad metadata = %d, want the refusal next to the field and the pasted text kept:\n%s", r.code, text(r.body))
		}
		if got, _ := e.st.GetConnection(e.ctx, f.org.ID, c.ID); len(got.Settings) != 0 {
			t.Fatalf("refused metadata was saved: %s", got.Settings)
		}
		if r := admin.post("/admin/sso/"+c.ID, url.Values{"idp": {"okta"}, "metadataXml": {p.metadataXML()}}); r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/admin/sso?done=saved") {
			t.Fatalf("save metadata = %d %q %s", r.code, r.loc, text(r.body))
		}
		r = admin.get("/admin/sso?done=saved")
		page = text(r.body)
		// The test IdP's certificate expires in a day: warned.
		if !strings.Contains(page, "Run a test sign-in next") || !strings.Contains(page, "Not tested") || !strings.Contains(page, "within 30 days") {
			t.Fatalf("SSO page after saving:\n%s", page)
		}
		if strings.Contains(r.body, "/admin/sso/enable?connection=") {
			t.Errorf("an untested connection offers Enable SSO")
		}
		// Rule 12: the confirmation of an untested connection refuses.
		r = admin.get("/admin/sso/enable?connection=" + c.ID)
		if r.code != http.StatusConflict || !strings.Contains(text(r.body), "Run a successful test sign-in") || strings.Contains(r.body, `action="/admin/sso/enable"`) {
			t.Fatalf("enable untested = %d:\n%s", r.code, text(r.body))
		}
		if r := admin.post("/admin/sso/enable", url.Values{"connection": {c.ID}}); r.code != http.StatusConflict {
			t.Fatalf("enable untested POST = %d", r.code)
		}

		// The test sign-in, from the page's button, comes back with a link to the console.
		if !strings.Contains(r.body, `action="/api/orgs/`+f.org.ID+`/connections/`+c.ID+`/test"`) {
			r = admin.get("/admin/sso")
		}
		if !strings.Contains(r.body, `action="/api/orgs/`+f.org.ID+`/connections/`+c.ID+`/test"`) {
			t.Fatalf("no test sign-in button:\n%s", text(r.body))
		}
		acs, form := p.signIn(admin.post("/api/orgs/"+f.org.ID+"/connections/"+c.ID+"/test", nil), "ada@acme.example")
		r = admin.crossSitePost(acs, form, p.srv.URL)
		if r.code != http.StatusOK || !strings.Contains(text(r.body), "Test sign-in succeeded") || !strings.Contains(r.body, `href="/admin/sso#c-`+c.ID+`"`) {
			t.Fatalf("test result = %d:\n%s", r.code, text(r.body))
		}

		// The confirmation counts: Ada and Bob have passwords; Cat is invited and has none.
		_, err = e.st.CreateMember(e.ctx, store.SupportActor("test"), f.org.ID, store.NewMember{Email: "cat@acme.example", Invite: true})
		e.must(err)
		r = admin.get("/admin/sso")
		if !strings.Contains(r.body, `href="/admin/sso/enable?connection=`+c.ID+`"`) {
			t.Fatalf("a tested connection has no Enable SSO:\n%s", text(r.body))
		}
		r = admin.get("/admin/sso/enable?connection=" + c.ID)
		page = text(r.body)
		for _, want := range []string{"Members who sign in through Acme Okta from their next sign-in: 3", "(unused invitations: 1)", "Members without a password: 1."} {
			if !strings.Contains(page, want) {
				t.Errorf("enable confirmation has no %q:\n%s", want, page)
			}
		}
		if org, _ := e.st.GetOrg(e.ctx, f.org.ID); org.SSOEnabled {
			t.Fatal("the confirmation page enabled SSO")
		}
		if r := admin.post("/admin/sso/enable", url.Values{"connection": {c.ID}}); r.code != http.StatusSeeOther || r.loc != "/admin/sso?done=enabled" {
			t.Fatalf("enable = %d %q %s", r.code, r.loc, text(r.body))
		}
		if org, _ := e.st.GetOrg(e.ctx, f.org.ID); !org.SSOEnabled || org.SSOConnectionID != c.ID {
			t.Fatalf("org after enable = %+v", org)
		}
		if page := text(admin.get("/admin/sso?done=enabled").body); !strings.Contains(page, "SSO is on.") || !strings.Contains(page, "SSO enabled") {
			t.Fatalf("SSO page after enable:\n%s", page)
		}
		// While SSO is on with it, its settings cannot change: said next to the form.
		if r := admin.post("/admin/sso/"+c.ID, url.Values{"metadataXml": {p.metadataXML()}}); r.code != http.StatusConflict || !strings.Contains(text(r.body), "disable SSO before") {
			t.Errorf("settings of the enabled connection = %d %s", r.code, text(r.body))
		}
		r = admin.get("/admin/sso/disable")
		if page := text(r.body); r.code != http.StatusOK || !strings.Contains(page, "Members who sign in with their email and password again: 3.") ||
			!strings.Contains(page, "Members without a password: 1.") {
			t.Fatalf("disable confirmation = %d:\n%s", r.code, page)
		}
		if r := admin.post("/admin/sso/disable", nil); r.code != http.StatusSeeOther || r.loc != "/admin/sso?done=disabled" {
			t.Fatalf("disable = %d %q", r.code, r.loc)
		}
		if org, _ := e.st.GetOrg(e.ctx, f.org.ID); org.SSOEnabled {
			t.Fatal("SSO still on after disable")
		}
	})
}

// TestConsoleSSOOIDCGuide: the OpenID Connect guide refuses settings next
// to the field the provider names, and saves nothing.
func TestConsoleSSOOIDCGuide(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	r := admin.post("/admin/sso/new", url.Values{"idp": {"oidc"}})
	if r.code != http.StatusSeeOther || !strings.HasSuffix(r.loc, "?idp=oidc") {
		t.Fatalf("add = %d %q", r.code, r.loc)
	}
	cs, _ := e.st.ListConnections(e.ctx, f.org.ID)
	if len(cs) != 1 || cs[0].Kind != store.ConnectionOIDC || cs[0].Name != "OpenID Connect" {
		t.Fatalf("connections = %+v", cs)
	}
	if page := text(admin.get(r.loc).body); !strings.Contains(page, "authorization code flow") || !strings.Contains(page, "Client secret") {
		t.Fatalf("OIDC guide:\n%s", page)
	}
	r = admin.post("/admin/sso/"+cs[0].ID, url.Values{"idp": {"oidc"}, "clientId": {"app"}})
	if r.code != http.StatusBadRequest || !regexp.MustCompile(`id="issuer-error"[^>]*>[^<]*issuer is required`).MatchString(r.body) {
		t.Fatalf("no issuer = %d:\n%s", r.code, text(r.body))
	}
	if c, _ := e.st.GetConnection(e.ctx, f.org.ID, cs[0].ID); len(c.Settings) != 0 {
		t.Fatalf("refused settings saved: %s", c.Settings)
	}
	if r := admin.post("/admin/sso/"+cs[0].ID, url.Values{"issuer": {"https://idp.example"}, "clientId": {"app"}}); r.code != http.StatusSeeOther {
		t.Fatalf("save = %d %s", r.code, text(r.body))
	}
	if page := text(admin.get("/admin/sso").body); !strings.Contains(page, "Not tested") || !strings.Contains(page, "Test sign-in with OpenID Connect") {
		t.Fatalf("SSO page:\n%s", page)
	}
	// Another org's connection is not found; a plain user gets their account page.
	other := e.addConnection(f.other, "Globex IdP", `{"issuer":"https://g.example"}`)
	if r := admin.get("/admin/sso/" + other.ID); r.code != http.StatusNotFound {
		t.Errorf("another org's connection = %d", r.code)
	}
	bob := e.browser()
	bob.mustSignIn("bob@acme.example", f.password)
	for _, path := range []string{"/admin/sso", "/admin/sso/new", "/admin/provisioning"} {
		if r := bob.get(path); r.code != http.StatusSeeOther || r.loc != "/account" {
			t.Errorf("a plain user's %s = %d %q", path, r.code, r.loc)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.base+"/admin/sso", nil)
	req.Header.Set("Accept-Language", "it")
	if page := text(admin.do(req).body); !strings.Contains(page, "Connessioni") || !strings.Contains(page, "Domini di accesso verificati") {
		t.Errorf("the SSO page in Italian:\n%s", page)
	}
}

// TestConsoleProvisioning: create a SCIM token (its secret shown once),
// see it listed, revoke it behind a confirmation.
func TestConsoleProvisioning(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		f := e.seed()
		admin := e.browser()
		admin.mustSignIn("ada@acme.example", f.password)
		r := admin.get("/admin/provisioning")
		if r.code != http.StatusOK || field(t, r.body, "scim-url") != e.base+"/scim/v2" || !strings.Contains(text(r.body), "No token yet") ||
			!strings.Contains(text(r.body), "Tenant URL") || !strings.Contains(text(r.body), "SCIM connector base URL") {
			t.Fatalf("provisioning = %d:\n%s", r.code, text(r.body))
		}
		if r := admin.post("/admin/provisioning/tokens", url.Values{"name": {" "}}); r.code != http.StatusBadRequest || !strings.Contains(r.body, `id="token-error"`) {
			t.Fatalf("empty name = %d %s", r.code, text(r.body))
		}
		r = admin.post("/admin/provisioning/tokens", url.Values{"name": {"Okta"}})
		secret := ""
		if r.code == http.StatusCreated {
			secret = field(t, r.body, "new-token")
		}
		if !strings.HasPrefix(secret, store.SCIMTokenPrefix) || r.h.Get("Cache-Control") != "no-store" || !strings.Contains(text(r.body), "shown only this once") ||
			!strings.Contains(text(r.body), "Never") {
			t.Fatalf("create token = %d %q:\n%s", r.code, r.h.Get("Cache-Control"), text(r.body))
		}
		tok, err := e.st.AuthenticateSCIMToken(e.ctx, secret)
		if err != nil || tok.Name != "Okta" {
			t.Fatalf("the shown token does not authenticate: %v", err)
		}
		r = admin.get("/admin/provisioning")
		if strings.Contains(r.body, secret) || !strings.Contains(text(r.body), "Revoke Okta") || strings.Contains(text(r.body), "Never") {
			t.Fatalf("the list shows the secret again or not the token:\n%s", text(r.body))
		}
		r = admin.get("/admin/provisioning/tokens/" + tok.ID + "/revoke")
		if r.code != http.StatusOK || !strings.Contains(text(r.body), "Revoke the SCIM token Okta") {
			t.Fatalf("revoke confirmation = %d %s", r.code, text(r.body))
		}
		if _, err := e.st.AuthenticateSCIMToken(e.ctx, secret); err != nil {
			t.Fatalf("the confirmation page revoked the token: %v", err)
		}
		if r := admin.post("/admin/provisioning/tokens/"+tok.ID+"/revoke", nil); r.code != http.StatusSeeOther || r.loc != "/admin/provisioning?done=revoked" {
			t.Fatalf("revoke = %d %q", r.code, r.loc)
		}
		if _, err := e.st.AuthenticateSCIMToken(e.ctx, secret); err == nil {
			t.Fatal("the revoked token still authenticates")
		}
		if page := text(admin.get("/admin/provisioning?done=revoked").body); !strings.Contains(page, "The token is revoked.") || !strings.Contains(page, "Revoked ") {
			t.Fatalf("after revoke:\n%s", page)
		}
		if r := admin.get("/admin/provisioning/tokens/nope/revoke"); r.code != http.StatusNotFound {
			t.Errorf("unknown token = %d", r.code)
		}
	})
}
