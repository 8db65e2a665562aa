package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/scim"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// The end-to-end story, through SCIM, the admin API and the sign-in
// pages on one router (the IdP is the fake one): SCIM provisions a user, the
// admin enables SSO after a test sign-in, the user signs in through the IdP,
// the IdP's email change is refused while SSO is on and accepted after SSO is
// disabled, and the user gets back in by password reset.
func TestEndToEndSCIMThenSSOThenReset(t *testing.T) {
	e := newEnvWith(t, web.Options{}, func(r chi.Router, st *store.Store, _ *web.Web, base string) {
		r.Mount("/scim/v2", scim.NewHandler(st, scim.Options{BaseURL: base}))
	})
	f := e.seed()
	token, _, err := e.st.CreateSCIMToken(e.ctx, store.SupportActor("test"), f.org.ID, "okta")
	e.must(err)
	idp := e.browser()
	scimDo := func(method, path, body string) resp {
		t.Helper()
		req, _ := http.NewRequest(method, e.base+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		return idp.do(req)
	}
	r := scimDo(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zoe@acme.example",
		"name":{"givenName":"Zoe","familyName":"Zed"},"emails":[{"primary":true,"value":"zoe@acme.example","type":"work"}],"externalId":"00u-zoe","active":true}`)
	if r.code != http.StatusCreated {
		t.Fatalf("SCIM create = %d %s", r.code, r.body)
	}
	zoe, err := e.st.MemberByEmail(e.ctx, f.org.ID, "zoe@acme.example")
	e.must(err)

	// The admin adds a connection, tests it, enables SSO.
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	base := "/api/orgs/" + f.org.ID
	var c map[string]any
	if r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "oidc", "name": "Okta", "settings": map[string]any{"issuer": "https://acme.okta.example"}}, &c); r.code != http.StatusCreated {
		t.Fatalf("create connection = %d %s", r.code, r.body)
	}
	r = admin.api(http.MethodPost, base+"/connections/"+c["id"].(string)+"/test", nil, nil)
	if r := admin.idpReturn(r.loc, id("00u-ada", "ada@acme.example", true)); r.code != http.StatusOK {
		t.Fatalf("test sign-in = %d %q", r.code, text(r.body))
	}
	if r := admin.api(http.MethodPost, base+"/sso/enable", map[string]string{"connectionId": c["id"].(string)}, nil); r.code != http.StatusOK {
		t.Fatalf("enable SSO = %d %s", r.code, r.body)
	}

	// Zoe signs in through the IdP; her account becomes active.
	b := e.browser()
	if r := b.idpReturn(b.ssoStart("zoe@acme.example"), id("00u-zoe", "zoe@acme.example", true)); r.code != http.StatusSeeOther {
		t.Fatalf("Zoe's SSO sign-in = %d %q", r.code, text(r.body))
	}
	if m, _ := e.st.GetMember(e.ctx, f.org.ID, zoe.Account.ID); m.Status() != store.StatusActive {
		t.Fatalf("Zoe is %s after signing in, want active", m.Status())
	}

	// The IdP changes her email: refused while SSO is on (rule 1)...
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"zoe.zed@acme.example"}]}`
	if r := scimDo(http.MethodPatch, "/Users/"+zoe.Account.ID, patch); r.code != http.StatusBadRequest || !strings.Contains(r.body, "mutability") || !strings.Contains(r.body, "Disable SSO") {
		t.Fatalf("email change with SSO on = %d %s, want 400 mutability", r.code, r.body)
	}
	// ...and accepted once the admin disables SSO.
	if r := admin.api(http.MethodPost, base+"/sso/disable", nil, nil); r.code != http.StatusOK {
		t.Fatalf("disable SSO = %d %s", r.code, r.body)
	}
	if r := scimDo(http.MethodPatch, "/Users/"+zoe.Account.ID, patch); r.code != http.StatusOK {
		t.Fatalf("email change with SSO off = %d %s", r.code, r.body)
	}
	if a, _ := e.st.GetAccount(e.ctx, zoe.Account.ID); a.Email != "zoe.zed@acme.example" {
		t.Fatalf("email = %s, want zoe.zed@acme.example", a.Email)
	}

	// Zoe never had a password: "forgot password" gets her back in.
	b = e.browser()
	if r := b.post("/login", url.Values{"identifier": {"zoe.zed@acme.example"}}); !strings.Contains(r.body, `action="/login/password"`) {
		t.Fatalf("with SSO off /login = %d %q, want the password form", r.code, text(r.body))
	}
	b.post("/password/forgot", url.Values{"email": {"zoe.zed@acme.example"}})
	link := e.link("zoe.zed@acme.example", "/password/reset")
	if r := b.get(link); r.code != http.StatusOK {
		t.Fatalf("GET reset link = %d", r.code)
	}
	token2 := mustParse(t, link).Query().Get("token")
	if r := b.post("/password/reset", url.Values{"token": {token2}, "password": {"zoe's new password"}, "confirm": {"zoe's new password"}}); r.code != http.StatusOK {
		t.Fatalf("reset = %d %q", r.code, text(r.body))
	}
	b.mustSignIn("zoe.zed@acme.example", "zoe's new password")
	if r := b.signIn("zoe@acme.example", "zoe's new password"); r.code != http.StatusUnauthorized {
		t.Fatalf("the old address signs in = %d, want 401 (rule 5)", r.code)
	}
}
