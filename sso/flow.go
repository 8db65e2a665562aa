package sso

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RandomToken returns n random bytes as unpadded base64url text.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// LocalPath returns s when it is a relative path on this site ("/x"), and
// "" for anything else: "//host", "/\host", a URL with a scheme or a host,
// control characters. A RelayState from an IdP goes through it before any
// redirect, so it can never send the browser off-site.
func LocalPath(s string) string {
	if s == "" || len(s) > 1024 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return ""
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return s
}

// ErrOtherBrowser refuses a sign-in finishing in a browser other than the
// one that started it (login CSRF: a response or callback URL made for
// someone else's browser must not sign this one in). The text is for people.
var ErrOtherBrowser = errors.New("this sign-in was started in another browser, or this browser did not send back the cookie it was given: start again from the sign-in page, in this browser")

// Binding ties each SP-initiated flow of a provider to the browser that
// started it. Start calls Bind, which sets a cookie holding a fresh random
// secret and returns the secret's hash for the server-side flow state; the
// callback reads the cookie with Secret and the flow's Check compares.
//
// The cookie is named after the flow's handle (the SAML RelayState, the
// OIDC state), so sign-ins started in two tabs do not overwrite each other,
// is sent only to the connection's callback path, is HttpOnly, and expires
// with the flow. With an https base URL it is Secure, and for a callback
// reached by a cross-site POST (the SAML HTTP-POST binding) SameSite=None,
// since a SameSite=Lax cookie is not sent with that POST. Browsers refuse
// SameSite=None without Secure, so over plain http it is SameSite=Lax: the
// IdP's POST then carries it only when the IdP is on the same site as
// idbridge (same host name or IP address; ports do not count), as on a
// loopback development setup.
type Binding struct {
	// Path is the URL path of the callback (the SAML ACS, the OIDC redirect URI).
	Path string
	// Secure: the base URL is https.
	Secure bool
	// CrossSitePost: the IdP sends the browser back with a cross-site POST.
	CrossSitePost bool
	// TTL is the flow's lifetime.
	TTL time.Duration
}

// NewBinding is the Binding of a provider whose callback is at callbackURL.
func NewBinding(callbackURL string, crossSitePost bool, ttl time.Duration) Binding {
	u, err := url.Parse(callbackURL)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	return Binding{Path: u.EscapedPath(), Secure: u.Scheme == "https", CrossSitePost: crossSitePost, TTL: ttl}
}

func (b Binding) cookie(handle, value string, maxAge int) *http.Cookie {
	h := sha256.Sum256([]byte(handle))
	name := "idbridge_flow_" + base64.RawURLEncoding.EncodeToString(h[:12])
	ss := http.SameSiteLaxMode
	if b.Secure {
		name = "__Secure-" + name
		if b.CrossSitePost {
			ss = http.SameSiteNoneMode
		}
	}
	return &http.Cookie{Name: name, Value: value, Path: b.Path, MaxAge: maxAge, HttpOnly: true, Secure: b.Secure, SameSite: ss}
}

// Bind sets the cookie of the flow named by handle on w and returns what the
// flow keeps server-side: the hash of the cookie's secret.
func (b Binding) Bind(w http.ResponseWriter, handle string) string {
	secret := RandomToken(32)
	http.SetCookie(w, b.cookie(handle, secret, int(b.TTL.Seconds())))
	return BrowserHash(secret)
}

// Secret returns the secret that r's cookie holds for the flow named by
// handle ("" when r has none), and clears that cookie on w: a flow is
// single-use, whatever its outcome.
func (b Binding) Secret(w http.ResponseWriter, r *http.Request, handle string) string {
	c, err := r.Cookie(b.cookie(handle, "", 0).Name)
	if err != nil {
		return ""
	}
	http.SetCookie(w, b.cookie(handle, "", -1))
	return c.Value
}

// BrowserHash is what a flow keeps of its browser's secret.
func BrowserHash(secret string) string {
	h := sha256.Sum256([]byte("idbridge flow browser\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CheckBrowser compares the secret a browser sent with the hash its flow
// kept. A flow without a hash (started before browsers were bound) is
// refused too: it must be started again.
func CheckBrowser(kept, secret string) error {
	if kept == "" || secret == "" || subtle.ConstantTimeCompare([]byte(kept), []byte(BrowserHash(secret))) != 1 {
		return ErrOtherBrowser
	}
	return nil
}
