package config

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
)

// redacted is what every printed form of a secret shows.
const redacted = "REDACTED"

// Secret is a string that never prints: fmt (every verb, %#v included),
// encoding/json and log/slog all show "REDACTED". Call Reveal where the real
// value is needed, at the one place that hands it to a driver or a server.
type Secret string

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, for %#v.
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter so that no verb (%x, %q, %d...) can print
// the underlying string.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler, for encoders that prefer it.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// redactURL returns raw with the password of its user info, and any
// "password" query parameter, replaced by REDACTED. A value that does not
// parse as a URL is redacted whole, since we cannot tell where a secret is.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", redacted)
		u.RawQuery = q.Encode()
	}
	return u.String()
}
