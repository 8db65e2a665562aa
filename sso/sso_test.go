package sso

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestSealer(t *testing.T) {
	s, err := NewSealer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("client-secret"), "purpose A")
	if strings.Contains(sealed, "client-secret") {
		t.Fatal("sealed text shows the secret")
	}
	if got, err := s.Open(sealed, "purpose A"); err != nil || string(got) != "client-secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, "purpose B"); !errors.Is(err, ErrSealed) {
		t.Errorf("another purpose: err = %v, want ErrSealed", err)
	}
	other, _ := NewSealer([]byte(strings.Repeat("x", 32)))
	if _, err := other.Open(sealed, "purpose A"); !errors.Is(err, ErrSealed) {
		t.Errorf("another server key: err = %v, want ErrSealed", err)
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestLocalPath(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"relative path", "/account?tab=1", "/account?tab=1"},
		{"empty", "", ""},
		{"absolute URL", "https://evil.test/", ""},
		{"scheme-relative", "//evil.test/x", ""},
		{"backslash", "/\\evil.test", ""},
		{"backslash later", "/a\\b", ""},
		{"javascript", "javascript:alert(1)", ""},
		{"no leading slash", "account", ""},
		{"control character", "/a\nb", ""},
	}
	for _, tc := range cases {
		if got := LocalPath(tc.in); got != tc.want {
			t.Errorf("%s: LocalPath(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestFetchRefusesNonPublicAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 2048)))
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			_, _ = w.Write([]byte("<ok/>"))
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	if _, err := (FetchOptions{}).Fetch(ctx, srv.URL+"/ok"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback without AllowPrivate: err = %v, want ErrForbiddenAddress", err)
	}
	// localhost resolves to loopback: checked after resolution, not by name.
	if _, err := (FetchOptions{}).Fetch(ctx, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/ok"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("localhost without AllowPrivate: err = %v, want ErrForbiddenAddress", err)
	}
	allow := FetchOptions{AllowPrivate: true, MaxBytes: 1024, Timeout: 200 * time.Millisecond}
	if b, err := allow.Fetch(ctx, srv.URL+"/redirect"); err != nil || string(b) != "<ok/>" {
		t.Fatalf("allowed fetch: %q, %v", b, err)
	}
	if _, err := allow.Fetch(ctx, srv.URL+"/big"); err == nil {
		t.Error("a body over MaxBytes was accepted")
	}
	if _, err := allow.Fetch(ctx, srv.URL+"/slow"); err == nil {
		t.Error("a fetch over Timeout succeeded")
	}
	if _, err := allow.Fetch(ctx, "file:///etc/passwd"); err == nil {
		t.Error("a file URL was fetched")
	}
	for _, a := range []string{"10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1", "fe80::1", "fc00::1", "0.0.0.0", "::ffff:127.0.0.1"} {
		if PublicAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as public", a)
		}
	}
	if !PublicAddr(netip.MustParseAddr("93.184.216.34")) {
		t.Error("a public address counted as private")
	}
}

func TestCheckBrowser(t *testing.T) {
	w := httptest.NewRecorder()
	b := NewBinding("https://idbridge.test/base/oidc/c1/callback", false, 10*time.Minute)
	kept := b.Bind(w, "handle-1")
	r := httptest.NewRequest("GET", "https://idbridge.test/base/oidc/c1/callback", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	if c := w.Result().Cookies()[0]; c.Path != "/base/oidc/c1/callback" || strings.Contains(kept, c.Value) {
		t.Fatalf("cookie %+v, kept %q", c, kept)
	}
	if err := CheckBrowser(kept, b.Secret(httptest.NewRecorder(), r, "handle-1")); err != nil {
		t.Fatalf("the starting browser: %v", err)
	}
	if s := b.Secret(httptest.NewRecorder(), r, "handle-2"); s != "" {
		t.Fatalf("another flow's handle read the cookie %q", s)
	}
	for _, tc := range []struct{ kept, secret string }{{kept, ""}, {kept, "other"}, {"", ""}, {"", "x"}} {
		if err := CheckBrowser(tc.kept, tc.secret); !errors.Is(err, ErrOtherBrowser) {
			t.Errorf("CheckBrowser(%q, %q) = %v, want ErrOtherBrowser", tc.kept, tc.secret, err)
		}
	}
	// Secret clears the cookie: a flow is single-use.
	cw := httptest.NewRecorder()
	b.Secret(cw, r, "handle-1")
	if cs := cw.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || cs[0].Path != "/base/oidc/c1/callback" {
		t.Fatalf("clearing cookie = %+v", cs)
	}
}
