package provider_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/idbridge/idbridge/provider"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
	"github.com/idbridge/idbridge/store/sqlite"
	"github.com/idbridge/idbridge/web"
)

const (
	redirectURI = "https://app.example.com/callback"
	password    = "ada-correct-horse-battery"
)

var cheap = store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}

var support = store.SupportActor("provider test")

// env is a real idbridge (the web pages and the provider on one router)
// behind httptest, with an org, a person with a password and an app.
type env struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	base   string
	org    store.Org
	other  store.Org
	ada    store.Member
	app    store.App
	secret string
}

// backends runs f on SQLite and, when reachable, PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, newEnv(t, kind))
		})
	}
}

func newEnv(t *testing.T, kind string) *env {
	t.Helper()
	ctx := context.Background()
	var db interface {
		store.Backend
		Migrate(context.Context) error
	}
	var err error
	if kind == "postgres" {
		db, err = postgres.Open(ctx, pgtest.NewDatabase(t))
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "idbridge.db"))
	}
	must(t, err)
	t.Cleanup(func() { _ = db.Close() })
	must(t, db.Migrate(ctx))
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	st := store.New(db, store.Options{BaseURL: base, Password: cheap})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := web.New(st, web.Options{BaseURL: base}, log)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	p, err := provider.New(st, provider.Options{BaseURL: base, SecretKey: key, Sessions: w, Log: log})
	must(t, err)
	r := chi.NewRouter()
	w.Mount(r)
	p.Mount(r)
	srv.Config.Handler = r
	srv.Start()
	t.Cleanup(srv.Close)

	co, err := st.CreateCompany(ctx, support, "Acme S.p.A.")
	must(t, err)
	org, err := st.CreateOrg(ctx, support, store.NewOrg{CompanyID: co.ID, Name: "Acme Hotels", Domains: []string{"acme.example"}})
	must(t, err)
	other, err := st.CreateOrg(ctx, support, store.NewOrg{CompanyID: co.ID, Name: "Acme Resorts", Domains: []string{"resorts.example"}})
	must(t, err)
	ada, err := st.CreateMember(ctx, support, org.ID, store.NewMember{Email: "ada@acme.example", GivenName: "Ada",
		FamilyName: "Lovelace", UserType: store.UserTypeSystemAdmin, Password: password})
	must(t, err)
	_, err = st.CreateGroup(ctx, support, org.ID, store.NewGroup{DisplayName: "Night shift", Members: []store.GroupMember{{AccountID: ada.Account.ID}}})
	must(t, err)
	app, secret, err := st.CreateApp(ctx, support, store.NewApp{Name: "Reports", RedirectURIs: []string{redirectURI}})
	must(t, err)
	return &env{t: t, ctx: ctx, st: st, base: base, org: org, other: other, ada: ada, app: app, secret: secret}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rp is the app: go-oidc and x/oauth2, as the README shows.
type rp struct {
	t        *testing.T
	ctx      context.Context
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
	provider *oidc.Provider
}

func (e *env) rp(clientID, secret string, scopes ...string) *rp {
	e.t.Helper()
	p, err := oidc.NewProvider(e.ctx, e.base) // discovery at the issuer
	must(e.t, err)
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", "groups", oidc.ScopeOfflineAccess}
	}
	return &rp{t: e.t, ctx: e.ctx, provider: p, verifier: p.Verifier(&oidc.Config{ClientID: clientID}),
		cfg: oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: redirectURI, Scopes: scopes}}
}

// browser keeps cookies and does not follow redirects.
type browser struct {
	t *testing.T
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, u string, form url.Values) (int, string, string) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.base + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	must(b.t, err)
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(page)
}

// flow is one authorization: the state, nonce and PKCE verifier the app keeps.
type flow struct {
	state, nonce, verifier string
}

func newFlow() flow {
	return flow{state: rnd(), nonce: rnd(), verifier: oauth2.GenerateVerifier()}
}

func rnd() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (r *rp) authURL(f flow) string {
	return r.cfg.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier))
}

// authorize follows the browser from the app's authorization URL, signing
// in with the password when idbridge asks, to the app's redirect URI, and
// returns that URL's query.
func (b *browser) authorize(authURL, email, pw string) url.Values {
	b.t.Helper()
	loc := authURL
	for range 8 {
		if strings.HasPrefix(loc, redirectURI) {
			u, err := url.Parse(loc)
			must(b.t, err)
			return u.Query()
		}
		if strings.HasPrefix(loc, "/login?") {
			u, _ := url.Parse(loc)
			orgID := ""
			if o, err := b.e.st.OrgForSignIn(b.e.ctx, email); err == nil {
				orgID = o.ID
			}
			code, next, page := b.do(http.MethodPost, "/login/password", url.Values{"email": {email}, "password": {pw},
				"org": {orgID}, "return_to": {u.Query().Get("return_to")}})
			if code != http.StatusSeeOther {
				b.t.Fatalf("sign in: %d %s", code, page)
			}
			loc = next
			continue
		}
		code, next, page := b.do(http.MethodGet, loc, nil)
		if code != http.StatusFound && code != http.StatusSeeOther {
			b.t.Fatalf("GET %s: %d, want a redirect; page %s", loc, code, page)
		}
		loc = next
	}
	b.t.Fatalf("too many redirects, at %s", loc)
	return nil
}

// code runs a flow to its code, checking the state came back.
func (b *browser) code(r *rp, f flow) string {
	b.t.Helper()
	q := b.authorize(r.authURL(f), b.e.ada.Account.Email, password)
	if q.Get("state") != f.state || q.Get("code") == "" {
		b.t.Fatalf("redirect query = %v, want a code and state %q", q, f.state)
	}
	return q.Get("code")
}

// verify checks an ID token as the app does and returns its claims.
func (r *rp) verify(raw string, nonce string) map[string]any {
	r.t.Helper()
	tok, err := r.verifier.Verify(r.ctx, raw)
	if err != nil {
		r.t.Fatalf("verify ID token: %v", err)
	}
	if tok.Nonce != nonce {
		r.t.Errorf("nonce = %q, want %q", tok.Nonce, nonce)
	}
	var claims map[string]any
	must(r.t, tok.Claims(&claims))
	return claims
}

func idToken(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatalf("no id_token in the token response")
	}
	return raw
}

// oauthError is the OAuth error code of a failed exchange.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func TestSignInWithGoOIDC(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		app := e.rp(e.app.ID, e.secret)
		b := e.browser()
		f := newFlow()
		code := b.code(app, f)
		tok, err := app.cfg.Exchange(e.ctx, code, oauth2.VerifierOption(f.verifier))
		must(t, err)
		claims := app.verify(idToken(t, tok), f.nonce)
		want := map[string]any{"iss": e.base, "sub": e.ada.Account.ID, "aud": e.app.ID, "email": "ada@acme.example",
			"name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace", "org_id": e.org.ID, "org_name": "Acme Hotels",
			"user_type": string(e.ada.Membership.UserType), "subscription": string(e.ada.Membership.Subscription),
			"reports_role": string(e.ada.Membership.ReportsRole)}
		for k, v := range want {
			got := claims[k]
			if l, ok := got.([]any); ok && len(l) == 1 {
				got = l[0]
			}
			if got != v {
				t.Errorf("claim %s = %v, want %v", k, claims[k], v)
			}
		}
		if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
			t.Errorf("amr = %v, want [pwd]", claims["amr"])
		}
		if g, _ := claims["groups"].([]any); len(g) != 1 || g[0] != "Night shift" {
			t.Errorf("groups = %v, want [Night shift]", claims["groups"])
		}
		for _, k := range []string{"exp", "iat", "auth_time", "sid", "email_verified"} {
			if _, ok := claims[k]; !ok {
				t.Errorf("claim %s missing; claims %v", k, claims)
			}
		}

		// Userinfo answers the same for the access token.
		info, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok))
		must(t, err)
		var ic map[string]any
		must(t, info.Claims(&ic))
		if info.Subject != e.ada.Account.ID || info.Email != "ada@acme.example" || ic["org_id"] != e.org.ID || ic["reports_role"] != want["reports_role"] {
			t.Errorf("userinfo = %v", ic)
		}

		// Refresh: rotated, and the ID token still names the org.
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token with offline_access")
		}
		fresh, err := app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		must(t, err)
		if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
			t.Errorf("refresh token not rotated")
		}
		if c := app.verify(idToken(t, fresh), ""); c["org_id"] != e.org.ID || c["sub"] != e.ada.Account.ID {
			t.Errorf("refreshed ID token claims = %v", c)
		}
		// Once its successor was used, the rotated token again is a reuse
		// (not a retry within the grace): refused, and its family revoked.
		fresher, err := app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token()
		must(t, err)
		_, err = app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if oauthError(err) != "invalid_grant" {
			t.Errorf("reused refresh token: %v, want invalid_grant", err)
		}
		_, err = app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: fresher.RefreshToken}).Token()
		if oauthError(err) != "invalid_grant" {
			t.Errorf("the family's newest refresh token after a reuse: %v, want invalid_grant", err)
		}
		if _, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(fresher)); err == nil {
			t.Errorf("userinfo with the revoked family's access token answered")
		}

		// With the idbridge session, a second authorization needs no sign-in.
		f2 := newFlow()
		_, loc, _ := b.do(http.MethodGet, app.authURL(f2), nil)
		_, loc, _ = b.do(http.MethodGet, loc, nil)
		if !strings.HasPrefix(loc, redirectURI+"?") {
			t.Fatalf("second authorization went to %q, want the app", loc)
		}
		u, _ := url.Parse(loc)
		tok2, err := app.cfg.Exchange(e.ctx, u.Query().Get("code"), oauth2.VerifierOption(f2.verifier))
		must(t, err)
		app.verify(idToken(t, tok2), f2.nonce)
	})
}

func TestRefusals(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		app := e.rp(e.app.ID, e.secret)
		b := e.browser()

		t.Run("wrong_or_missing_pkce_verifier", func(t *testing.T) {
			f := newFlow()
			_, err := app.cfg.Exchange(e.ctx, b.code(app, f), oauth2.VerifierOption(oauth2.GenerateVerifier()))
			if oauthError(err) != "invalid_grant" {
				t.Errorf("wrong verifier: %v, want invalid_grant", err)
			}
			f = newFlow()
			_, err = app.cfg.Exchange(e.ctx, b.code(app, f))
			if oauthError(err) == "" {
				t.Errorf("missing verifier: %v, want an OAuth error", err)
			}
		})

		t.Run("authorization_without_pkce", func(t *testing.T) {
			for what, opts := range map[string][]oauth2.AuthCodeOption{
				"none":  nil,
				"plain": {oauth2.SetAuthURLParam("code_challenge", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrs"), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
			} {
				_, loc, _ := b.do(http.MethodGet, app.cfg.AuthCodeURL("st", opts...), nil)
				u, _ := url.Parse(loc)
				if !strings.HasPrefix(loc, redirectURI) || u.Query().Get("error") != "invalid_request" || u.Query().Get("state") != "st" {
					t.Errorf("%s: redirect %q, want invalid_request to the app", what, loc)
				}
			}
		})

		t.Run("unregistered_redirect_uri", func(t *testing.T) {
			f := newFlow()
			evil := app.cfg
			evil.RedirectURL = "https://evil.example.com/callback"
			code, loc, page := b.do(http.MethodGet, evil.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier)), nil)
			if code != http.StatusBadRequest || loc != "" {
				t.Errorf("unregistered redirect URI: %d to %q, want 400 and no redirect; %s", code, loc, page)
			}
			// A registered URI with another query is another URI.
			code, loc, _ = b.do(http.MethodGet, strings.Replace(app.authURL(f), url.QueryEscape(redirectURI), url.QueryEscape(redirectURI+"?x=1"), 1), nil)
			if code != http.StatusBadRequest || loc != "" {
				t.Errorf("redirect URI with a query: %d to %q, want 400", code, loc)
			}
		})

		t.Run("implicit_flow", func(t *testing.T) {
			f := newFlow()
			u := strings.Replace(app.authURL(f), "response_type=code", "response_type=id_token", 1)
			_, loc, _ := b.do(http.MethodGet, u, nil)
			if strings.Contains(loc, "id_token=") || !strings.Contains(loc, "error=") {
				t.Errorf("implicit flow answered %q, want an error", loc)
			}
		})

		t.Run("reused_code", func(t *testing.T) {
			f := newFlow()
			code := b.code(app, f)
			tok, err := app.cfg.Exchange(e.ctx, code, oauth2.VerifierOption(f.verifier))
			must(t, err)
			_, err = app.cfg.Exchange(e.ctx, code, oauth2.VerifierOption(f.verifier))
			if oauthError(err) != "invalid_grant" {
				t.Errorf("reused code: %v, want invalid_grant", err)
			}
			if _, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(tok)); err == nil {
				t.Errorf("the access token of a reused code still answers")
			}
			_, err = app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if oauthError(err) != "invalid_grant" {
				t.Errorf("the refresh token of a reused code: %v, want invalid_grant", err)
			}
		})

		t.Run("wrong_client_secret", func(t *testing.T) {
			f := newFlow()
			code := b.code(app, f)
			bad := app.cfg
			bad.ClientSecret = "idbcs_wrong"
			if _, err := bad.Exchange(e.ctx, code, oauth2.VerifierOption(f.verifier)); oauthError(err) == "" {
				t.Errorf("wrong client secret: %v, want an OAuth error", err)
			}
		})

		t.Run("app_limited_to_another_org", func(t *testing.T) {
			limited, secret, err := e.st.CreateApp(e.ctx, support, store.NewApp{Name: "Resorts only", RedirectURIs: []string{redirectURI}, OrgIDs: []string{e.other.ID}})
			must(t, err)
			other := e.rp(limited.ID, secret)
			f := newFlow()
			q := b.authorize(other.authURL(f), e.ada.Account.Email, password)
			if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != f.state {
				t.Errorf("app of another org: %v, want access_denied", q)
			}
		})

		t.Run("alg_none", func(t *testing.T) {
			f := newFlow()
			tok, err := app.cfg.Exchange(e.ctx, b.code(app, f), oauth2.VerifierOption(f.verifier))
			must(t, err)
			parts := strings.Split(idToken(t, tok), ".")
			none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
			if _, err := app.verifier.Verify(e.ctx, none); err == nil {
				t.Errorf("go-oidc accepted an alg:none token")
			}
			hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]
			for _, forged := range []string{none, hs} {
				if _, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: forged, TokenType: "Bearer"})); err == nil {
					t.Errorf("userinfo answered a forged token %.20s", forged)
				}
				if active := introspect(t, e, forged); active {
					t.Errorf("introspection says a forged token is active")
				}
			}
			if !introspect(t, e, tok.AccessToken) {
				t.Errorf("introspection says the real access token is inactive")
			}
		})

		t.Run("disabled_member_refresh", func(t *testing.T) {
			f := newFlow()
			tok, err := app.cfg.Exchange(e.ctx, b.code(app, f), oauth2.VerifierOption(f.verifier))
			must(t, err)
			bob, err := e.st.CreateMember(e.ctx, support, e.org.ID, store.NewMember{Email: "bob@acme.example", GivenName: "Bob", FamilyName: "B", Password: password})
			must(t, err)
			bobBrowser := e.browser()
			fb := newFlow()
			q := bobBrowser.authorize(app.authURL(fb), "bob@acme.example", password)
			bobTok, err := app.cfg.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(fb.verifier))
			must(t, err)
			_, err = e.st.UpdateMember(e.ctx, support, e.org.ID, bob.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}})
			must(t, err)
			_, err = app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: bobTok.RefreshToken}).Token()
			if oauthError(err) != "invalid_grant" {
				t.Errorf("a disabled member's refresh: %v, want invalid_grant", err)
			}
			if _, err := app.provider.UserInfo(e.ctx, oauth2.StaticTokenSource(bobTok)); err == nil {
				t.Errorf("userinfo answered a disabled member's access token")
			}
			// Ada's tokens are untouched.
			if _, err := app.cfg.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				t.Errorf("another member's refresh: %v", err)
			}
		})

		t.Run("public_client_with_pkce", func(t *testing.T) {
			pub, _, err := e.st.CreateApp(e.ctx, support, store.NewApp{Name: "SPA", Public: true, RedirectURIs: []string{redirectURI}})
			must(t, err)
			spa := e.rp(pub.ID, "", oidc.ScopeOpenID)
			f := newFlow()
			tok, err := spa.cfg.Exchange(e.ctx, b.code(spa, f), oauth2.VerifierOption(f.verifier))
			must(t, err)
			claims := spa.verify(idToken(t, tok), f.nonce)
			if claims["email"] != nil || claims["org_id"] != e.org.ID || tok.RefreshToken != "" {
				t.Errorf("openid scope alone: claims %v, refresh %q", claims, tok.RefreshToken)
			}
		})

		t.Run("discovery", func(t *testing.T) {
			res, err := http.Get(e.base + "/.well-known/openid-configuration")
			must(t, err)
			defer res.Body.Close()
			var d map[string]any
			must(t, json.NewDecoder(res.Body).Decode(&d))
			if d["issuer"] != e.base || !equalList(d["response_types_supported"], "code") || !equalList(d["code_challenge_methods_supported"], "S256") ||
				!equalList(d["grant_types_supported"], "authorization_code", "refresh_token") || d["jwks_uri"] != e.base+provider.KeysPath {
				t.Errorf("discovery = %v", d)
			}
		})
	})
}

func equalList(v any, want ...string) bool {
	l, _ := v.([]any)
	got := make([]string, len(l))
	for i, x := range l {
		got[i], _ = x.(string)
	}
	return slices.Equal(got, want)
}

// introspect asks the introspection endpoint as the app and returns "active".
func introspect(t *testing.T, e *env, token string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+provider.IntrospectPath, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.app.ID, e.secret)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	if res.StatusCode != http.StatusOK {
		return false
	}
	must(t, json.NewDecoder(res.Body).Decode(&out))
	return out.Active
}
