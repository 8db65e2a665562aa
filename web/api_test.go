package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

func TestAdminAPIAuthorization(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	path := "/api/orgs/" + f.org.ID + "/connections"
	var out map[string]any
	if r := e.browser().api(http.MethodGet, path, nil, &out); r.code != http.StatusUnauthorized {
		t.Fatalf("no session = %d, want 401", r.code)
	}
	user := e.browser()
	user.mustSignIn("bob@acme.example", f.password)
	if r := user.api(http.MethodGet, path, nil, &out); r.code != http.StatusForbidden || out["error"] == nil {
		t.Fatalf("non-admin = %d %s, want 403 JSON", r.code, r.body)
	}
	if r := user.api(http.MethodPost, "/api/orgs/"+f.org.ID+"/scim-tokens", map[string]string{"name": "x"}, &out); r.code != http.StatusForbidden {
		t.Fatalf("non-admin creates a token = %d, want 403", r.code)
	}
	outsider := e.browser()
	outsider.mustSignIn("gus@globex.example", f.password)
	if r := outsider.api(http.MethodGet, path, nil, &out); r.code != http.StatusNotFound {
		t.Fatalf("another org's admin = %d, want 404", r.code)
	}
	if r := outsider.api(http.MethodGet, "/api/orgs/"+f.other.ID+"/connections", nil, nil); r.code != http.StatusOK {
		t.Fatalf("own org = %d, want 200", r.code)
	}
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	var list []map[string]any
	if r := admin.api(http.MethodGet, path, nil, &list); r.code != http.StatusOK || len(list) != 0 {
		t.Fatalf("admin lists = %d %s, want 200 []", r.code, r.body)
	}
	// Another org's connection id through the admin's own org: 404.
	oc := e.addConnection(f.other, "Globex IdP", `{"issuer":"https://globex.example"}`)
	if r := admin.api(http.MethodDelete, path+"/"+oc.ID, nil, &out); r.code != http.StatusNotFound {
		t.Fatalf("delete another org's connection = %d, want 404", r.code)
	}
	if r := admin.api(http.MethodPost, path, "not an object", &out); r.code != http.StatusBadRequest {
		t.Fatalf("bad JSON = %d, want 400", r.code)
	}
	r := admin.api(http.MethodPost, path, nil, &out)
	if r.code != http.StatusUnsupportedMediaType {
		t.Fatalf("no JSON content type = %d, want 415", r.code)
	}
}

func TestAdminAPIConnectionsAndRule12(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	base := "/api/orgs/" + f.org.ID

	var errOut struct {
		Error string `json:"error"`
		Rule  int    `json:"rule"`
	}
	if r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "oidc", "name": "Okta", "settings": map[string]any{}}, &errOut); r.code != http.StatusBadRequest || !strings.Contains(errOut.Error, "issuer is required") {
		t.Fatalf("invalid settings = %d %+v, want 400 from Validate", r.code, errOut)
	}
	if r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "ldap", "name": "x", "settings": map[string]any{}}, &errOut); r.code != http.StatusBadRequest {
		t.Fatalf("unknown kind = %d, want 400", r.code)
	}
	var c map[string]any
	r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "oidc", "name": "Okta",
		"settings": map[string]any{"issuer": "https://idp.example", "clientSecret": "s3cr3t"}}, &c)
	if r.code != http.StatusCreated || c["id"] == nil || c["testedAt"] != nil {
		t.Fatalf("create = %d %s", r.code, r.body)
	}
	if strings.Contains(r.body, "s3cr3t") {
		t.Fatalf("the client secret came back: %s", r.body)
	}
	id := c["id"].(string)
	if r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "oidc", "name": "Okta", "settings": map[string]any{"issuer": "x"}}, &errOut); r.code != http.StatusConflict {
		t.Fatalf("duplicate name = %d, want 409", r.code)
	}

	// Rule 12: no SSO before a successful test sign-in.
	if r := admin.api(http.MethodPost, base+"/sso/enable", map[string]string{"connectionId": id}, &errOut); r.code != http.StatusConflict || errOut.Rule != 12 {
		t.Fatalf("enable untested = %d %+v, want 409 rule 12", r.code, errOut)
	}
	// The test sign-in: the API sends the browser to the IdP; back from it the
	// test is recorded and the asserted identity shown.
	r = admin.api(http.MethodPost, base+"/connections/"+id+"/test", nil, nil)
	if r.code != http.StatusFound {
		t.Fatalf("start test = %d %s, want a redirect to the IdP", r.code, r.body)
	}
	r = admin.idpReturn(r.loc, map[string][]string{"sub": {"00u1"}, "email": {"ada@acme.example"}, "verified": {"1"}})
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Test sign-in succeeded") || !strings.Contains(r.body, "00u1") || !strings.Contains(r.body, "ada@acme.example") {
		t.Fatalf("test result = %d %q", r.code, text(r.body))
	}
	got, err := e.st.GetConnection(e.ctx, f.org.ID, id)
	e.must(err)
	if got.TestedAt == nil {
		t.Fatal("test sign-in not recorded")
	}
	var sso map[string]any
	if r := admin.api(http.MethodPost, base+"/sso/enable", map[string]string{"connectionId": id}, &sso); r.code != http.StatusOK || sso["ssoEnabled"] != true {
		t.Fatalf("enable tested = %d %s", r.code, r.body)
	}
	// The enabled connection cannot be changed or removed (rule 12).
	if r := admin.api(http.MethodDelete, base+"/connections/"+id, nil, &errOut); r.code != http.StatusConflict || errOut.Rule != 12 {
		t.Fatalf("delete enabled = %d %+v, want 409 rule 12", r.code, errOut)
	}
	if r := admin.api(http.MethodPatch, base+"/connections/"+id, map[string]any{"settings": map[string]any{"issuer": "https://other.example"}}, &errOut); r.code != http.StatusConflict || errOut.Rule != 12 {
		t.Fatalf("change enabled settings = %d %+v, want 409 rule 12", r.code, errOut)
	}
	if r := admin.api(http.MethodPatch, base+"/connections/"+id, map[string]any{"name": "Okta prod"}, &c); r.code != http.StatusOK || c["name"] != "Okta prod" || c["ssoEnabled"] != true {
		t.Fatalf("rename = %d %s", r.code, r.body)
	}
	if r := admin.api(http.MethodPost, base+"/sso/disable", nil, &sso); r.code != http.StatusOK || sso["ssoEnabled"] != false {
		t.Fatalf("disable = %d %s", r.code, r.body)
	}
	// Settings read back (secrets REDACTED) can be sent back: the stored secret stays.
	admin.api(http.MethodGet, base+"/connections/"+id, nil, &c)
	settings := c["settings"].(map[string]any)
	if settings["clientSecret"] != "REDACTED" {
		t.Fatalf("settings = %v, want the secret REDACTED", settings)
	}
	settings["issuer"] = "https://idp2.example"
	if r := admin.api(http.MethodPatch, base+"/connections/"+id, map[string]any{"settings": settings}, &c); r.code != http.StatusOK {
		t.Fatalf("patch with REDACTED = %d %s", r.code, r.body)
	}
	stored, err := e.st.GetConnection(e.ctx, f.org.ID, id)
	e.must(err)
	if !strings.Contains(string(stored.Settings), "s3cr3t") || !strings.Contains(string(stored.Settings), "idp2.example") {
		t.Fatalf("stored settings = %s, want the new issuer and the old secret", stored.Settings)
	}
	// New settings clear the test.
	if r := admin.api(http.MethodPatch, base+"/connections/"+id, map[string]any{"settings": map[string]any{"issuer": "https://other.example"}}, &c); r.code != http.StatusOK || c["testedAt"] != nil {
		t.Fatalf("new settings = %d %s, want testedAt cleared", r.code, r.body)
	}
	if r := admin.api(http.MethodDelete, base+"/connections/"+id, nil, nil); r.code != http.StatusNoContent {
		t.Fatalf("delete = %d", r.code)
	}
}

func TestAdminAPISCIMTokens(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	base := "/api/orgs/" + f.org.ID + "/scim-tokens"
	var tok map[string]any
	if r := admin.api(http.MethodPost, base, map[string]string{"name": "okta"}, &tok); r.code != http.StatusCreated || !strings.HasPrefix(tok["token"].(string), store.SCIMTokenPrefix) {
		t.Fatalf("create = %d %s", r.code, r.body)
	}
	secret := tok["token"].(string)
	if _, err := e.st.AuthenticateSCIMToken(e.ctx, secret); err != nil {
		t.Fatalf("new token does not authenticate: %v", err)
	}
	var list []map[string]any
	if r := admin.api(http.MethodGet, base, nil, &list); r.code != http.StatusOK || len(list) != 1 || list[0]["token"] != nil || strings.Contains(r.body, secret) {
		t.Fatalf("list = %d %s, want one token without its secret", r.code, r.body)
	}
	if r := admin.api(http.MethodDelete, base+"/"+tok["id"].(string), nil, &tok); r.code != http.StatusOK || tok["revokedAt"] == nil {
		t.Fatalf("revoke = %d %s", r.code, r.body)
	}
	if _, err := e.st.AuthenticateSCIMToken(e.ctx, secret); err == nil {
		t.Fatal("revoked token still authenticates")
	}
	if r := admin.api(http.MethodPost, base, map[string]string{"name": ""}, nil); r.code != http.StatusBadRequest {
		t.Fatalf("empty name = %d, want 400", r.code)
	}
}

// The admin's account page lists the connections with a test button that
// starts the test sign-in from a plain same-origin form.
func TestAccountPageTestButtonForAdmins(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	c := e.addConnection(f.org, "Okta", `{"issuer":"https://idp.example"}`)
	user := e.browser()
	user.mustSignIn("bob@acme.example", f.password)
	if r := user.get("/account"); strings.Contains(r.body, "test sign-in") {
		t.Fatalf("a non-admin sees the SSO section")
	}
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	action := "/api/orgs/" + f.org.ID + "/connections/" + c.ID + "/test"
	if r := admin.get("/account"); !strings.Contains(r.body, `action="`+action+`"`) || !strings.Contains(text(r.body), "not tested") {
		t.Fatalf("admin's account page lacks the test form: %q", text(r.body))
	}
	r := admin.post(action, nil, "Sec-Fetch-Site", "same-origin", "Origin", e.base)
	if r.code != http.StatusFound {
		t.Fatalf("test form = %d %q, want a redirect to the IdP", r.code, text(r.body))
	}
	if r := admin.idpReturn(r.loc, id("00u-ada", "ada@acme.example", true)); r.code != http.StatusOK {
		t.Fatalf("test result = %d", r.code)
	}
	if r := admin.get("/account"); !strings.Contains(text(r.body), "tested ") {
		t.Fatalf("account page after the test: %q", text(r.body))
	}
}
