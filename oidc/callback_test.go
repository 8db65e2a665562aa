package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

type fixture struct {
	op     *fakeOP
	st     *ssotest.Store
	fin    *ssotest.Recorder
	p      *Provider
	router chi.Router
	c      store.Connection
	log    *bytes.Buffer
	// browser holds the cookies Start set: the browser that started the flows.
	browser []*http.Cookie
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{op: newFakeOP(t), st: ssotest.NewStore(),
		fin: &ssotest.Recorder{}, log: &bytes.Buffer{}}
	var err error
	f.p, err = New(f.st, f.fin, Options{BaseURL: "https://idbridge.test", Sealer: ssotest.Sealer(t),
		Fetch: sso.FetchOptions{AllowPrivate: true}, Log: slog.New(slog.NewTextHandler(f.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.router = chi.NewRouter()
	f.p.Mount(f.router)
	f.c = f.addConnection(t)
	return f
}

func (f *fixture) addConnection(t *testing.T) store.Connection {
	raw, _ := json.Marshal(Settings{Issuer: f.op.srv.URL, ClientID: f.op.clientID, ClientSecret: f.op.secret})
	settings, err := f.p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: uuid.NewString(), OrgID: uuid.NewString(), Kind: store.ConnectionOIDC, Settings: settings, UpdatedAt: time.Now()}
	f.st.Put(c)
	return c
}

func (f *fixture) start(t *testing.T, c store.Connection, returnTo string) string {
	t.Helper()
	w := httptest.NewRecorder()
	if err := f.p.Start(w, httptest.NewRequest("GET", "/login", nil), c, returnTo, false); err != nil {
		t.Fatal(err)
	}
	f.browser = append(f.browser, w.Result().Cookies()...)
	loc := w.Header().Get("Location")
	u, _ := url.Parse(loc)
	if u.Query().Get("redirect_uri") != f.p.RedirectURL(c.ID) {
		t.Fatalf("redirect_uri = %q", u.Query().Get("redirect_uri"))
	}
	return loc
}

// callback calls the connection's callback from the browser that started
// the flows and returns the result or the refusal.
func (f *fixture) callback(t *testing.T, c store.Connection, params map[string]string) (sso.Result, error) {
	t.Helper()
	return f.callbackFrom(t, c, params, f.browser)
}

// callbackFrom calls the callback from a browser holding cookies.
func (f *fixture) callbackFrom(t *testing.T, c store.Connection, params map[string]string, cookies []*http.Cookie) (sso.Result, error) {
	t.Helper()
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	nRes, nErr := len(f.fin.Results), len(f.fin.Errs)
	r := httptest.NewRequest("GET", "/oidc/"+c.ID+"/callback?"+q.Encode(), nil)
	for _, ck := range cookies {
		if strings.HasPrefix(r.URL.Path, ck.Path) {
			r.AddCookie(ck)
		}
	}
	f.router.ServeHTTP(httptest.NewRecorder(), r)
	switch {
	case len(f.fin.Results) > nRes:
		return f.fin.Results[nRes], nil
	case len(f.fin.Errs) > nErr:
		return sso.Result{}, f.fin.Errs[nErr]
	}
	t.Fatal("the finisher was not called")
	return sso.Result{}, nil
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	res, err := f.callback(t, f.c, f.op.authorize(t, f.start(t, f.c, "/account?tab=1"), "alice-sub"))
	if err != nil {
		t.Fatal(err)
	}
	want := sso.Identity{Subject: "alice-sub", Email: "alice@example.com", EmailVerified: true, GivenName: "Alice", FamilyName: "Liddell"}
	if res.Identity != want || res.ReturnTo != "/account?tab=1" || res.Connection.ID != f.c.ID {
		t.Fatalf("result = %+v, want identity %+v", res, want)
	}
}

func TestCallbackRefuses(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fixture)
		edit  func(t *testing.T, f *fixture, params map[string]string)
		want  error
	}{
		{name: "state used twice", edit: func(t *testing.T, f *fixture, params map[string]string) {
			if _, err := f.callback(t, f.c, params); err != nil {
				t.Fatal(err)
			}
		}, want: ErrState},
		{name: "unknown state", edit: func(_ *testing.T, _ *fixture, params map[string]string) { params["state"] = "forged" }, want: ErrState},
		{name: "state of another connection", edit: func(t *testing.T, f *fixture, params map[string]string) {
			other := f.addConnection(t)
			params["state"] = f.op.authorize(t, f.start(t, other, ""), "alice-sub")["state"]
		}, want: ErrState},
		{name: "nonce mismatch", setup: func(f *fixture) { f.op.idClaims = func(c map[string]any) { c["nonce"] = "other" } }, want: ErrNonce},
		{name: "nonce missing", setup: func(f *fixture) { f.op.idClaims = func(c map[string]any) { delete(c, "nonce") } }, want: ErrNonce},
		{name: "wrong PKCE verifier (code injected into another flow)", edit: func(t *testing.T, f *fixture, params map[string]string) {
			// The attacker's own flow supplies state (and so verifier); the code is the victim's.
			params["state"] = f.op.authorize(t, f.start(t, f.c, ""), "mallory-sub")["state"]
		}, want: ErrExchange},
		{name: "issuer mix-up (iss parameter of another OP)", edit: func(_ *testing.T, _ *fixture, params map[string]string) {
			params["iss"] = "https://evil.test"
		}, want: ErrIssuerMismatch},
		{name: "iss missing though advertised", edit: func(_ *testing.T, _ *fixture, params map[string]string) { delete(params, "iss") }, want: ErrIssuerMismatch},
		{name: "several audiences without azp", setup: func(f *fixture) {
			f.op.idClaims = func(c map[string]any) { c["aud"] = []string{f.op.clientID, "other-client"} }
		}, want: ErrAZP},
		{name: "azp of another client", setup: func(f *fixture) { f.op.idClaims = func(c map[string]any) { c["azp"] = "other-client" } }, want: ErrAZP},
		{name: "userinfo about another subject", setup: func(f *fixture) { f.op.userinfo = func(u map[string]any) { u["sub"] = "someone-else" } }, want: ErrSubject},
		{name: "error from the OP", edit: func(_ *testing.T, _ *fixture, params map[string]string) {
			delete(params, "code")
			params["error"] = "access_denied"
		}, want: ErrDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			params := f.op.authorize(t, f.start(t, f.c, ""), "alice-sub")
			if tc.edit != nil {
				tc.edit(t, f, params)
			}
			if _, err := f.callback(t, f.c, params); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEmailVerifiedOnlyWhenTrue(t *testing.T) {
	for _, v := range []any{false, "true", nil} {
		f := newFixture(t)
		f.op.userinfo = func(u map[string]any) {
			if v == nil {
				delete(u, "email_verified")
			} else {
				u["email_verified"] = v
			}
		}
		res, err := f.callback(t, f.c, f.op.authorize(t, f.start(t, f.c, ""), "alice-sub"))
		if err != nil || res.Identity.EmailVerified {
			t.Fatalf("email_verified=%v: verified = %v, err = %v", v, res.Identity.EmailVerified, err)
		}
	}
}

func TestClientSecretNeverStoredLoggedOrReturned(t *testing.T) {
	f := newFixture(t)
	if bytes.Contains(f.c.Settings, []byte(f.op.secret)) {
		t.Fatalf("settings hold the client secret in clear: %s", f.c.Settings)
	}
	pub, err := Public(f.c.Settings)
	if err != nil || bytes.Contains(pub, []byte("clientSecret")) {
		t.Fatalf("Public = %s, %v", pub, err)
	}
	f.op.secret = "rotated" // the OP now refuses our secret
	_, err = f.callback(t, f.c, f.op.authorize(t, f.start(t, f.c, ""), "alice-sub"))
	if !errors.Is(err, ErrExchange) || strings.Contains(f.log.String(), "s3cret-value") || strings.Contains(err.Error(), "s3cret-value") {
		t.Fatalf("err = %v; log: %s", err, f.log)
	}
}

func TestDiscoveryRefusesPrivateAddresses(t *testing.T) {
	f := newFixture(t)
	strict, err := New(f.st, f.fin, Options{BaseURL: "https://idbridge.test", Sealer: ssotest.Sealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, issuer := range []string{f.op.srv.URL, strings.Replace(f.op.srv.URL, "http://", "https://", 1)} {
		raw, _ := json.Marshal(Settings{Issuer: issuer, ClientID: "c", ClientSecret: "s"})
		if _, err := strict.Validate(context.Background(), raw); err == nil {
			t.Fatalf("issuer %s on loopback accepted without AllowPrivate", issuer)
		}
	}
	raw, _ := json.Marshal(Settings{Issuer: "https://127.0.0.1:1", ClientID: "c", ClientSecret: "s"})
	if _, err := strict.Validate(context.Background(), raw); !errors.Is(err, sso.ErrForbiddenAddress) {
		t.Fatalf("err = %v, want ErrForbiddenAddress", err)
	}
}

// TestCallbackOnlyInTheStartingBrowser: login CSRF. A callback URL made for
// one browser, opened in another, is refused before the code is redeemed,
// and spends the flow; the browser that started it signs in.
func TestCallbackOnlyInTheStartingBrowser(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cookies func(f *fixture, own *http.Cookie) []*http.Cookie
	}{
		{"no cookie", func(*fixture, *http.Cookie) []*http.Cookie { return nil }},
		{"its own flow's cookie", func(f *fixture, _ *http.Cookie) []*http.Cookie {
			f.browser = nil
			f.start(t, f.c, "")
			return f.browser
		}},
		{"a forged cookie", func(_ *fixture, own *http.Cookie) []*http.Cookie {
			return []*http.Cookie{{Name: own.Name, Value: sso.RandomToken(32), Path: own.Path}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			params := f.op.authorize(t, f.start(t, f.c, ""), "mallory-sub")
			own := f.browser
			if _, err := f.callbackFrom(t, f.c, params, tc.cookies(f, own[0])); !errors.Is(err, sso.ErrOtherBrowser) {
				t.Fatalf("err = %v, want sso.ErrOtherBrowser", err)
			}
			if f.op.tokenCalls != 0 {
				t.Fatalf("the code was redeemed (%d token calls)", f.op.tokenCalls)
			}
			if _, err := f.callbackFrom(t, f.c, params, own); !errors.Is(err, ErrState) {
				t.Fatalf("after the refusal: err = %v, want ErrState (the flow is spent)", err)
			}
		})
	}
	t.Run("the starting browser", func(t *testing.T) {
		f := newFixture(t)
		f.start(t, f.c, "") // another flow in another tab
		if res, err := f.callback(t, f.c, f.op.authorize(t, f.start(t, f.c, "/account"), "alice-sub")); err != nil || res.ReturnTo != "/account" {
			t.Fatalf("result %+v, err = %v", res, err)
		}
	})
}

// TestBindingCookie: the OP sends the browser back with a top-level GET,
// which carries SameSite=Lax cookies; Secure on https; the callback only.
func TestBindingCookie(t *testing.T) {
	f := newFixture(t)
	f.start(t, f.c, "")
	if len(f.browser) != 1 {
		t.Fatalf("Start set %d cookies", len(f.browser))
	}
	ck := f.browser[0]
	if !strings.HasPrefix(ck.Name, "__Secure-idbridge_flow_") || !ck.Secure || ck.SameSite != http.SameSiteLaxMode ||
		!ck.HttpOnly || ck.Path != "/oidc/"+f.c.ID+"/callback" || ck.MaxAge != 600 || len(ck.Value) < 40 {
		t.Fatalf("cookie = %+v", ck)
	}
}
