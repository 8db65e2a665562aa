package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idbridge/idbridge/oidc/oidcpeer"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

// TestInteropOIDCProviderCodeFlowWithPKCE signs in through node
// oidc-provider (OpenID-certified, independent of go-oidc): its dev login
// and consent forms driven by a Go client with a cookie jar, PKCE S256
// required by the OP, the RFC 9207 iss parameter, ID token and userinfo.
func TestInteropOIDCProviderCodeFlowWithPKCE(t *testing.T) {
	oidcpeer.Need(t)

	// Our side first: the redirect URI must be known to the OP.
	st, fin := ssotest.NewStore(), &ssotest.Recorder{}
	p, spBase := ssotest.StartSP(t, func(base string) (*Provider, error) {
		return New(st, fin, Options{BaseURL: base, Sealer: ssotest.Sealer(t), Fetch: sso.FetchOptions{AllowPrivate: true}})
	})
	connID := uuid.NewString()

	op, err := oidcpeer.Start(oidcpeer.Client{ID: "idbridge-test", Secret: "interop-secret-value-0123456789", RedirectURI: p.RedirectURL(connID)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		op.Close()
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", op.Log())
		}
	}()

	issuer := op.Issuer
	raw, _ := json.Marshal(Settings{Issuer: issuer, ClientID: "idbridge-test", ClientSecret: "interop-secret-value-0123456789"})
	settings, err := p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: connID, OrgID: uuid.NewString(), Kind: store.ConnectionOIDC, Settings: settings, UpdatedAt: time.Now()}
	st.Put(c)

	w := httptest.NewRecorder()
	if err := p.Start(w, httptest.NewRequest("GET", "/login", nil), c, "/account", false); err != nil {
		t.Fatal(err)
	}
	jar := ssotest.Browser(t, w, spBase) // the browser that started the flow
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := client.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	opURL, _ := url.Parse(issuer)
	page := ssotest.ReadBody(t, resp) // the dev login form
	resp = ssotest.SubmitForm(t, client, resp.Request.URL, page, map[string]string{"login": "alice", "password": "any"})
	page = ssotest.ReadBody(t, resp) // the consent form
	if resp.StatusCode == http.StatusOK && strings.Contains(page, "<form") {
		resp = ssotest.SubmitForm(t, client, opURL, page, nil)
		page = ssotest.ReadBody(t, resp)
	}
	if len(fin.Results) != 1 {
		t.Fatalf("no sign-in: status %d at %s, errors %v\n%s", resp.StatusCode, resp.Request.URL, fin.Errs, page)
	}
	res := fin.Results[0]
	want := sso.Identity{Subject: "alice", Email: "alice@example.com", EmailVerified: true, GivenName: "Alice", FamilyName: "Liddell"}
	if res.Identity != want || res.ReturnTo != "/account" {
		t.Fatalf("result = %+v, want %+v", res, want)
	}
	// The OP sent iss on the redirect (RFC 9207) and we saw it: a wrong one is refused in TestCallbackRefuses.
	if !strings.Contains(resp.Request.URL.RawQuery, "iss=") {
		t.Errorf("the OP's redirect carried no iss parameter: %s", resp.Request.URL)
	}
}
