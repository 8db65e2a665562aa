package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ValidationError lists every problem found in a configuration, one line
// each, named by environment variable: "IDBRIDGE_BASE_URL: must be ...".
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// Validate checks every field and returns nil or one *ValidationError that
// lists every problem, so an operator fixes them all in one go.
func (c Config) Validate() error {
	var p []string
	bad := func(env, format string, args ...any) {
		p = append(p, env+": "+fmt.Sprintf(format, args...))
	}

	if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("IDBRIDGE_ADDR", "must be host:port, got %q", c.Addr)
	} else if !validPort(port, true) {
		bad("IDBRIDGE_ADDR", "port must be 0-65535, got %q", port)
	} else if strings.ContainsAny(host, " /") {
		bad("IDBRIDGE_ADDR", "invalid host %q", host)
	}

	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		bad("IDBRIDGE_BASE_URL", "must be an absolute http(s) URL, got %q", c.BaseURL)
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("IDBRIDGE_BASE_URL", "must have no query, fragment or user info, got %q", c.BaseURL)
	}

	if raw := c.DatabaseURL.Reveal(); raw != "" {
		// The value may hold a password: quote only its redacted form.
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("IDBRIDGE_DATABASE_URL", "must be a postgres:// or postgresql:// URL (empty = SQLite), got %q", redactURL(raw))
		}
	}

	if strings.TrimSpace(c.DataDir) == "" {
		bad("IDBRIDGE_DATA_DIR", "must not be empty")
	}

	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("IDBRIDGE_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}

	if k := c.SecretKey.Reveal(); k != "" && len(k) < 32 {
		bad("IDBRIDGE_SECRET_KEY", "must be at least 32 characters (for example: openssl rand -base64 32)")
	}

	if sc := c.SupportContact; sc != "" {
		if _, err := mail.ParseAddress(sc); err != nil && !strings.HasPrefix(sc, "https://") {
			bad("IDBRIDGE_SUPPORT_CONTACT", "must be an email address or an https:// URL, got %q", sc)
		}
	}

	c.SMTP.validate(bad)

	if c.ShutdownTimeout <= 0 {
		bad("IDBRIDGE_SHUTDOWN_TIMEOUT", "must be positive, got %s", c.ShutdownTimeout)
	}
	if c.OutboxInterval <= 0 {
		bad("IDBRIDGE_OUTBOX_INTERVAL", "must be positive, got %s", c.OutboxInterval)
	}
	if c.SCIMMaxInFlight < 0 {
		bad("IDBRIDGE_SCIM_MAX_INFLIGHT", "must be 0 (twice the database pool) or more, got %d", c.SCIMMaxInFlight)
	}
	if c.SCIMMaxInFlightPerToken < 1 {
		bad("IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN", "must be 1 or more, got %d", c.SCIMMaxInFlightPerToken)
	} else if c.SCIMMaxInFlight > 0 && c.SCIMMaxInFlightPerToken > c.SCIMMaxInFlight {
		bad("IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN", "must not exceed IDBRIDGE_SCIM_MAX_INFLIGHT (%d), got %d", c.SCIMMaxInFlight, c.SCIMMaxInFlightPerToken)
	}
	if c.SCIMQueueWait < 0 || c.SCIMQueueWait > 10*time.Second {
		bad("IDBRIDGE_SCIM_QUEUE_WAIT", "must be between 0s and 10s, got %s", c.SCIMQueueWait)
	}
	if c.SCIMLogRetention < time.Hour || c.SCIMLogRetention > 366*24*time.Hour {
		bad("IDBRIDGE_SCIM_LOG_RETENTION", "must be between 1h and 366d, got %s", c.SCIMLogRetention)
	}

	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func (s SMTP) validate(bad func(env, format string, args ...any)) {
	if s.Port < 1 || s.Port > 65535 {
		bad("IDBRIDGE_SMTP_PORT", "must be 1-65535, got %d", s.Port)
	}
	switch s.TLSMode {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		bad("IDBRIDGE_SMTP_TLS", "must be starttls, tls or none, got %q", s.TLSMode)
	}
	if s.Password != "" && s.Username == "" {
		bad("IDBRIDGE_SMTP_USERNAME", "must be set when IDBRIDGE_SMTP_PASSWORD is")
	}
	if s.Username != "" && s.Password == "" {
		bad("IDBRIDGE_SMTP_PASSWORD", "must be set when IDBRIDGE_SMTP_USERNAME is")
	}
	if s.Host == "" {
		return
	}
	if strings.ContainsAny(s.Host, " /:") && net.ParseIP(s.Host) == nil {
		bad("IDBRIDGE_SMTP_HOST", "must be a host name or IP address without port, got %q", s.Host)
	}
	if s.TLSMode == TLSNone && s.Username != "" && !isLoopback(s.Host) {
		bad("IDBRIDGE_SMTP_TLS", "none would send the SMTP password in clear text to %q; use starttls or tls (none with credentials is for loopback hosts only)", s.Host)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		bad("IDBRIDGE_SMTP_FROM", "must be an address like \"idbridge <noreply@example.com>\", got %q", s.From)
	}
}

func validPort(s string, zeroOK bool) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n <= 65535 && (n > 0 || (zeroOK && n == 0))
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hostnameOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
