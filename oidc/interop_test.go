package oidc

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/idbridge/idbridge/oidc/oidcpeer"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input([^>]*)>`)
	attrRe  = regexp.MustCompile(`(?is)\b(name|value)="([^"]*)"`)
)

// submitForm posts the first form of page (relative to base) with its
// inputs, overridden by fields, and returns the final response.
func submitForm(t *testing.T, client *http.Client, base *url.URL, page string, fields map[string]string) *http.Response {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	vals := url.Values{}
	for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
		var name, value string
		for _, a := range attrRe.FindAllStringSubmatch(in[1], -1) {
			if strings.EqualFold(a[1], "name") {
				name = html.UnescapeString(a[2])
			} else {
				value = html.UnescapeString(a[2])
			}
		}
		if name != "" {
			vals.Set(name, value)
		}
	}
	for k, v := range fields {
		vals.Set(k, v)
	}
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.PostForm(action.String(), vals)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInteropOIDCProviderCodeFlowWithPKCE signs in through node
// oidc-provider (OpenID-certified, independent of go-oidc): its dev login
// and consent forms driven by a Go client with a cookie jar, PKCE S256
// required by the OP, the RFC 9207 iss parameter, ID token and userinfo.
func TestInteropOIDCProviderCodeFlowWithPKCE(t *testing.T) {
	oidcpeer.Need(t)

	// Our side first: the redirect URI must be known to the OP.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	st := &memStore{conns: map[string]store.Connection{}, flows: map[string]store.SSOFlow{}}
	fin := &recorder{}
	p, err := New(st, fin, Options{BaseURL: base, Sealer: testSealer(t), Fetch: sso.FetchOptions{AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	router := chi.NewRouter()
	p.Mount(router)
	srv := httptest.NewUnstartedServer(router)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
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
	st.conns[c.ID] = c

	w := httptest.NewRecorder()
	if err := p.Start(w, httptest.NewRequest("GET", "/login", nil), c, "/account", false); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := client.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	opURL, _ := url.Parse(issuer)
	page := readBody(t, resp) // the dev login form
	resp = submitForm(t, client, resp.Request.URL, page, map[string]string{"login": "alice", "password": "any"})
	page = readBody(t, resp) // the consent form
	if resp.StatusCode == http.StatusOK && strings.Contains(page, "<form") {
		resp = submitForm(t, client, opURL, page, nil)
		page = readBody(t, resp)
	}
	if len(fin.results) != 1 {
		t.Fatalf("no sign-in: status %d at %s, errors %v\n%s", resp.StatusCode, resp.Request.URL, fin.errs, page)
	}
	res := fin.results[0]
	want := sso.Identity{Subject: "alice", Email: "alice@example.com", EmailVerified: true, GivenName: "Alice", FamilyName: "Liddell"}
	if res.Identity != want || res.ReturnTo != "/account" {
		t.Fatalf("result = %+v, want %+v", res, want)
	}
	// The OP sent iss on the redirect (RFC 9207) and we saw it: a wrong one is refused in TestCallbackRefuses.
	if !strings.Contains(resp.Request.URL.RawQuery, "iss=") {
		t.Errorf("the OP's redirect carried no iss parameter: %s", resp.Request.URL)
	}
}
