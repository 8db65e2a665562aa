package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/idbridge/idbridge/oidc"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// op is a small OpenID Provider: discovery, JWKS, a token endpoint that
// checks PKCE S256 and signs RS256 ID tokens with the email claims.
type op struct {
	srv   *httptest.Server
	key   *rsa.PrivateKey
	mu    sync.Mutex
	codes map[string]grantOf
}

type grantOf struct{ challenge, nonce, sub, email string }

const opClient, opSecret = "idbridge-test", "op-client-secret"

func newOP(t *testing.T) *op {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o := &op{key: key, codes: map[string]grantOf{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		iss := o.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "authorization_endpoint": iss + "/auth",
			"token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"authorization_response_iss_parameter_supported": true, "code_challenge_methods_supported": []string{"S256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &o.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", o.token)
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

// login plays the person signing in at the OP: it answers the authorization
// request (the Location we were sent to) with the callback URL.
func (o *op) login(t *testing.T, authURL, sub, email string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, o.srv.URL+"/auth") {
		t.Fatalf("not sent to the OP: %q", authURL)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != opClient {
		t.Fatalf("authorization request %v", q)
	}
	code := sso.RandomToken(16)
	o.mu.Lock()
	o.codes[code] = grantOf{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), sub: sub, email: email}
	o.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {o.srv.URL}}
	return q.Get("redirect_uri") + "?" + back.Encode()
}

func (o *op) token(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	g, ok := o.codes[r.PostFormValue("code")]
	delete(o.codes, r.PostFormValue("code"))
	o.mu.Unlock()
	id, secret, _ := r.BasicAuth()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || id != opClient || secret != opSecret || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": o.srv.URL, "sub": g.sub, "aud": opClient, "nonce": g.nonce,
		"email": g.email, "email_verified": true, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: o.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	obj, _ := signer.Sign(claims)
	idToken, _ := obj.CompactSerialize()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + g.sub, "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

// The pages with the real OIDC provider: the admin adds a connection (real
// settings check with discovery), runs the test sign-in, enables SSO, and a
// member signs in through the OP by typing the company domain.
func TestOIDCThroughTheRealProvider(t *testing.T) {
	o := newOP(t)
	e := newEnvWith(t, web.Options{}, func(r chi.Router, st *store.Store, w *web.Web, base string) {
		sealer, err := sso.NewSealer([]byte(strings.Repeat("s", 32)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := oidc.New(st, w, oidc.Options{BaseURL: base, Sealer: sealer, Fetch: sso.FetchOptions{AllowPrivate: true}})
		if err != nil {
			t.Fatal(err)
		}
		w.AddProvider(p) // in place of the fake IdP
		p.Mount(r)
	})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	base := "/api/orgs/" + f.org.ID
	var c map[string]any
	r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "oidc", "name": "Acme OP",
		"settings": map[string]any{"issuer": o.srv.URL, "clientId": opClient, "clientSecret": opSecret}}, &c)
	if r.code != http.StatusCreated || strings.Contains(r.body, opSecret) {
		t.Fatalf("create = %d %s", r.code, r.body)
	}
	id := c["id"].(string)

	r = admin.post(base+"/connections/"+id+"/test", nil)
	if r.code/100 != 3 {
		t.Fatalf("start test = %d %q", r.code, text(r.body))
	}
	r = admin.get(o.login(t, r.loc, "op-ada", "ada@acme.example"))
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Test sign-in succeeded") || !strings.Contains(r.body, "op-ada") {
		t.Fatalf("test result = %d %q", r.code, text(r.body))
	}
	if r := admin.api(http.MethodPost, base+"/sso/enable", map[string]string{"connectionId": id}, nil); r.code != http.StatusOK {
		t.Fatalf("enable = %d %s", r.code, r.body)
	}

	b := e.browser()
	r = b.post("/login", url.Values{"identifier": {"acme.example"}})
	if r.code/100 != 3 {
		t.Fatalf("POST /login = %d %q, want a redirect to the OP", r.code, text(r.body))
	}
	r = b.get(o.login(t, r.loc, "op-bob", "bob@acme.example"))
	if r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Fatalf("callback = %d %q %q", r.code, r.loc, text(r.body))
	}
	if r := b.get("/account"); r.code != http.StatusOK || !strings.Contains(r.body, "bob@acme.example") {
		t.Fatalf("GET /account = %d", r.code)
	}
	// The same callback again (a replayed code and state) does not sign in.
	b2 := e.browser()
	r = b2.post("/login", url.Values{"identifier": {"acme.example"}})
	cb := o.login(t, r.loc, "op-bob", "bob@acme.example")
	if r := b2.get(cb); r.code != http.StatusSeeOther {
		t.Fatalf("first callback = %d", r.code)
	}
	if r := e.browser().get(cb); r.code == http.StatusSeeOther {
		t.Fatalf("replayed callback signed in")
	}

	// Login CSRF: the callback URL the OP made for the attacker's browser,
	// opened in the victim's browser (a link or an image on the attacker's
	// page), does not sign the victim in as the attacker.
	attacker, victim := e.browser(), e.browser()
	r = attacker.post("/login", url.Values{"identifier": {"acme.example"}})
	cb = o.login(t, r.loc, "op-bob", "bob@acme.example")
	r = victim.get(cb)
	if r.code != http.StatusForbidden || !strings.Contains(text(r.body), "started in another browser") || strings.Contains(strings.Join(r.h.Values("Set-Cookie"), " "), "idb_session") {
		t.Fatalf("callback of another browser's flow = %d %q %q", r.code, text(r.body), r.h.Values("Set-Cookie"))
	}
	if r := victim.get("/account"); r.code == http.StatusOK {
		t.Fatal("the victim's browser is signed in after opening another browser's callback")
	}
	// Each attempt is in the org's sign-in diagnostics with its outcome,
	// newest first: the other browser's callback, the replayed state, then
	// the successes (the admin's test first of all).
	var got struct {
		SignIns []struct{ Outcome, Email string }
	}
	if r := admin.api(http.MethodGet, base+"/sign-ins", nil, &got); r.code != http.StatusOK {
		t.Fatalf("GET sign-ins = %d %s", r.code, r.body)
	}
	var outcomes []string
	for _, s := range got.SignIns {
		outcomes = append(outcomes, s.Outcome)
	}
	if want := "other_browser state_mismatch success success success"; strings.Join(outcomes, " ") != want {
		t.Errorf("sign-in outcomes %v, want %s", outcomes, want)
	}
}
