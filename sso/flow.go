package sso

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
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
