package e2e

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/idbridge/idbridge/store"
)

const appCallback = "https://reports.example.com/callback"

// TestAppSignsInThroughIdbridge is the README's Go app against the whole
// server: go-oidc discovers idbridge, the person signs in with a password,
// the app verifies the ID token against the JWKS and reads the org; SCIM
// active=false then ends the app's refresh at once.
func TestAppSignsInThroughIdbridge(t *testing.T) {
	e := newEnv(t)
	sup := store.SupportActor("e2e")
	app, secret, err := e.st.CreateApp(e.ctx, sup, store.NewApp{Name: "Reports", RedirectURIs: []string{appCallback}})
	must(t, err)
	provider, err := oidc.NewProvider(e.ctx, e.base)
	must(t, err)
	verifier := provider.Verifier(&oidc.Config{ClientID: app.ID})
	cfg := &oauth2.Config{ClientID: app.ID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: appCallback,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}

	tok, nonce := signInToApp(t, e, cfg, e.admin.Account.Email)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(e.ctx, raw)
	must(t, err)
	var claims struct {
		Email   string `json:"email"`
		OrgID   string `json:"org_id"`
		OrgName string `json:"org_name"`
		Type    string `json:"user_type"`
	}
	must(t, idt.Claims(&claims))
	if idt.Subject != e.admin.Account.ID || idt.Nonce != nonce || claims.OrgID != e.org.ID || claims.OrgName != e.org.Name ||
		claims.Email != e.admin.Account.Email || claims.Type != string(store.UserTypeSystemAdmin) {
		t.Fatalf("ID token: sub %s nonce %s claims %+v", idt.Subject, idt.Nonce, claims)
	}

	// The IdP deprovisions a person: their app's refresh stops at once.
	scimToken, _, err := e.st.CreateSCIMToken(e.ctx, sup, e.org.ID, "okta")
	must(t, err)
	bob, err := e.st.CreateMember(e.ctx, sup, e.org.ID, store.NewMember{Email: "bob@" + domain, GivenName: "Bob", FamilyName: "B", Password: adminPassword})
	must(t, err)
	bobTok, _ := signInToApp(t, e, cfg, bob.Account.Email)
	bobTok, err = cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: bobTok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh before deprovisioning: %v", err)
	}
	code, body := e.scim(scimToken, http.MethodPatch, "/Users/"+bob.Account.ID,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`)
	if code != http.StatusOK {
		t.Fatalf("SCIM active=false: %d %s", code, body)
	}
	_, err = cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: bobTok.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after SCIM active=false: %v, want invalid_grant", err)
	}
	if _, err := cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("another member's refresh: %v", err)
	}
}

// signInToApp runs the browser from the app's authorization URL through
// /login (password) and back, and returns the app's tokens and the nonce.
func signInToApp(t *testing.T, e *env, cfg *oauth2.Config, email string) (*oauth2.Token, string) {
	t.Helper()
	state, nonce, pkce := "st-"+email, "n-"+email, oauth2.GenerateVerifier()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := func(u string, form url.Values) string {
		t.Helper()
		if strings.HasPrefix(u, "/") {
			u = e.base + u
		}
		var res *http.Response
		var err error
		if form != nil {
			res, err = browser.PostForm(u, form)
		} else {
			res, err = browser.Get(u)
		}
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d, want a redirect", u, res.StatusCode)
		}
		return res.Header.Get("Location")
	}
	loc := next(cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce)), nil)
	loc = next(loc, nil) // /oauth/login without a session: to /login
	login, _ := url.Parse(loc)
	if login.Path != "/login" {
		t.Fatalf("no session: sent to %q, want /login", loc)
	}
	loc = next("/login/password", url.Values{"email": {email}, "password": {adminPassword},
		"org": {e.org.ID}, "return_to": {login.Query().Get("return_to")}})
	loc = next(loc, nil) // back to /oauth/login, signed in: to the app
	back, _ := url.Parse(loc)
	if !strings.HasPrefix(loc, appCallback+"?") || back.Query().Get("state") != state {
		t.Fatalf("after sign-in: %q, want the app's callback with the state", loc)
	}
	tok, err := cfg.Exchange(e.ctx, back.Query().Get("code"), oauth2.VerifierOption(pkce))
	must(t, err)
	return tok, nonce
}
