package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idbridge/idbridge/sso"
)

// fakeOP is a small in-process OpenID Provider whose answers a test can
// bend (nonce, azp, userinfo sub) to exercise each check of the callback.
// It enforces PKCE S256 like a real OP.
type fakeOP struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string
	issParam bool

	mu    sync.Mutex
	codes map[string]grant
	// hooks, applied when set
	idClaims   func(map[string]any)
	userinfo   func(map[string]any)
	tokenCalls int
}

type grant struct{ challenge, nonce, sub string }

func newFakeOP(t testing.TB) *fakeOP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &fakeOP{key: key, clientID: "client-1", secret: "s3cret-value", issParam: true, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := op.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "authorization_endpoint": iss + "/auth",
			"token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks", "userinfo_endpoint": iss + "/userinfo",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "authorization_response_iss_parameter_supported": op.issParam,
			"code_challenge_methods_supported": []string{"S256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", op.token)
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		sub := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer at-")
		u := map[string]any{"sub": sub, "email": "alice@example.com", "email_verified": true, "given_name": "Alice", "family_name": "Liddell"}
		if op.userinfo != nil {
			op.userinfo(u)
		}
		_ = json.NewEncoder(w).Encode(u)
	})
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

// authorize plays the OP's login: it issues a code for the authorization
// request URL and returns the callback query the OP would redirect with.
func (op *fakeOP) authorize(t testing.TB, authURL, sub string) map[string]string {
	t.Helper()
	u, err := http.NewRequest("GET", authURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := u.URL.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("authorization request without PKCE S256, nonce or state: %v", q)
	}
	code := sso.RandomToken(16)
	op.mu.Lock()
	op.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), sub: sub}
	op.mu.Unlock()
	return map[string]string{"code": code, "state": q.Get("state"), "iss": op.srv.URL}
}

func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	op.tokenCalls++
	g, ok := op.codes[r.PostFormValue("code")]
	delete(op.codes, r.PostFormValue("code"))
	op.mu.Unlock()
	id, secret, _ := r.BasicAuth()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || id != op.clientID || secret != op.secret || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	c := map[string]any{"iss": op.srv.URL, "sub": g.sub, "aud": op.clientID, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if op.idClaims != nil {
		op.idClaims(c)
	}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: op.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	payload, _ := json.Marshal(c)
	obj, _ := signer.Sign(payload)
	idToken, _ := obj.CompactSerialize()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + g.sub, "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}
