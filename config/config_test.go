package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	want := Config{
		Addr:     "127.0.0.1:8080",
		BaseURL:  "http://127.0.0.1:8080",
		DataDir:  "./data",
		LogLevel: "info",
		SMTP: SMTP{
			Port:    587,
			TLSMode: TLSStartTLS,
			From:    "idbridge <noreply@localhost>",
		},
		ShutdownTimeout:         15 * time.Second,
		OutboxInterval:          2 * time.Second,
		SCIMMaxInFlightPerToken: 8,
		SCIMQueueWait:           100 * time.Millisecond,
		SCIMLogRetention:        30 * 24 * time.Hour,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Default() =\n  %v\nwant\n  %v", c, want)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "nothing set is Default",
			check: func(t *testing.T, c Config) {
				if !reflect.DeepEqual(c, Default()) {
					t.Errorf("got %v, want %v", c, Default())
				}
			},
		},
		{
			name: "environment",
			env: map[string]string{
				"IDBRIDGE_ADDR":                        "0.0.0.0:9000",
				"IDBRIDGE_DATABASE_URL":                "postgres://u:pw@db:5432/idbridge",
				"IDBRIDGE_DATA_DIR":                    "/var/lib/idbridge",
				"IDBRIDGE_LOG_LEVEL":                   "debug",
				"IDBRIDGE_SMTP_HOST":                   "smtp.example.com",
				"IDBRIDGE_SMTP_PORT":                   "465",
				"IDBRIDGE_SMTP_USERNAME":               "mailer",
				"IDBRIDGE_SMTP_PASSWORD":               "s3cret",
				"IDBRIDGE_SMTP_TLS":                    "TLS",
				"IDBRIDGE_SMTP_FROM":                   "Acme <id@acme.example>",
				"IDBRIDGE_SHUTDOWN_TIMEOUT":            "30s",
				"IDBRIDGE_OUTBOX_INTERVAL":             "500ms",
				"IDBRIDGE_SCIM_MAX_INFLIGHT":           "40",
				"IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN": "4",
				"IDBRIDGE_SCIM_QUEUE_WAIT":             "250ms",
				"IDBRIDGE_SCIM_LOG_RETENTION":          "7d",
				"IDBRIDGE_BULK_JOB_THRESHOLD":          "500",
			},
			check: func(t *testing.T, c Config) {
				want := Config{
					Addr:        "0.0.0.0:9000",
					BaseURL:     "http://localhost:9000",
					DatabaseURL: "postgres://u:pw@db:5432/idbridge",
					DataDir:     "/var/lib/idbridge",
					LogLevel:    "debug",
					SMTP: SMTP{Host: "smtp.example.com", Port: 465, Username: "mailer",
						Password: "s3cret", TLSMode: TLSImplicit, From: "Acme <id@acme.example>"},
					ShutdownTimeout: 30 * time.Second,
					OutboxInterval:  500 * time.Millisecond,
					SCIMMaxInFlight: 40, SCIMMaxInFlightPerToken: 4, SCIMQueueWait: 250 * time.Millisecond,
					SCIMLogRetention: 7 * 24 * time.Hour,
					BulkJobThreshold: 500,
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got %v, want %v", c, want)
				}
				if c.Level() != slog.LevelDebug {
					t.Errorf("Level() = %v, want debug", c.Level())
				}
			},
		},
		{
			name: "flags override environment",
			env: map[string]string{
				"IDBRIDGE_ADDR":      "127.0.0.1:1111",
				"IDBRIDGE_BASE_URL":  "https://env.example.com",
				"IDBRIDGE_SMTP_PORT": "25",
				"IDBRIDGE_LOG_LEVEL": "warn",
			},
			args: []string{"-addr", "127.0.0.1:2222", "-base-url=https://flag.example.com/",
				"-smtp-port", "2525", "-shutdown-timeout", "1m"},
			check: func(t *testing.T, c Config) {
				if c.Addr != "127.0.0.1:2222" || c.SMTP.Port != 2525 || c.ShutdownTimeout != time.Minute {
					t.Errorf("flags not applied: %v", c)
				}
				if c.BaseURL != "https://flag.example.com" {
					t.Errorf("BaseURL = %q, want the flag's, trailing slash trimmed", c.BaseURL)
				}
				if c.LogLevel != "warn" {
					t.Errorf("LogLevel = %q, want the environment's warn", c.LogLevel)
				}
				if c.SMTP.From != "idbridge <noreply@flag.example.com>" {
					t.Errorf("SMTP.From = %q, want derived from the base URL", c.SMTP.From)
				}
			},
		},
		{
			name: "base URL follows the addr flag",
			args: []string{"-addr", "[::]:8443"},
			check: func(t *testing.T, c Config) {
				if c.BaseURL != "http://localhost:8443" {
					t.Errorf("BaseURL = %q, want http://localhost:8443", c.BaseURL)
				}
			},
		},
		{
			name: "smtp tls none without credentials on a remote host",
			env:  map[string]string{"IDBRIDGE_SMTP_HOST": "mailpit", "IDBRIDGE_SMTP_PORT": "1025", "IDBRIDGE_SMTP_TLS": "none"},
			check: func(t *testing.T, c Config) {
				if c.SMTP.TLSMode != TLSNone {
					t.Errorf("TLSMode = %q, want none", c.SMTP.TLSMode)
				}
			},
		},
		{
			name: "smtp tls none with credentials on loopback",
			env: map[string]string{"IDBRIDGE_SMTP_HOST": "127.0.0.1", "IDBRIDGE_SMTP_TLS": "none",
				"IDBRIDGE_SMTP_USERNAME": "u", "IDBRIDGE_SMTP_PASSWORD": "p"},
			check: func(t *testing.T, c Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadListsEveryProblem(t *testing.T) {
	getenv := env(map[string]string{
		"IDBRIDGE_ADDR":             "nonsense",
		"IDBRIDGE_BASE_URL":         "ftp://example.com",
		"IDBRIDGE_DATABASE_URL":     "mysql://root:topsecret@db/x",
		"IDBRIDGE_LOG_LEVEL":        "loud",
		"IDBRIDGE_SMTP_HOST":        "smtp.example.com",
		"IDBRIDGE_SMTP_PORT":        "70000",
		"IDBRIDGE_SMTP_USERNAME":    "mailer",
		"IDBRIDGE_SMTP_PASSWORD":    "hunter2",
		"IDBRIDGE_SMTP_TLS":         "none",
		"IDBRIDGE_SMTP_FROM":        "not an address",
		"IDBRIDGE_SHUTDOWN_TIMEOUT": "soon",
		"IDBRIDGE_OUTBOX_INTERVAL":  "-1s",
	})
	_, err := Load([]string{"-data-dir", " "}, getenv)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Load() error = %v (%T), want *ValidationError", err, err)
	}
	want := []string{
		`IDBRIDGE_SHUTDOWN_TIMEOUT: must be a duration like 15s, got "soon"`,
		`IDBRIDGE_ADDR: must be host:port, got "nonsense"`,
		`IDBRIDGE_BASE_URL: must be an absolute http(s) URL, got "ftp://example.com"`,
		`IDBRIDGE_DATABASE_URL: must be a postgres:// or postgresql:// URL (empty = SQLite), got "mysql://root:REDACTED@db/x"`,
		`IDBRIDGE_DATA_DIR: must not be empty`,
		`IDBRIDGE_LOG_LEVEL: must be debug, info, warn or error, got "loud"`,
		`IDBRIDGE_SMTP_PORT: must be 1-65535, got 70000`,
		`IDBRIDGE_SMTP_TLS: none would send the SMTP password in clear text to "smtp.example.com"; use starttls or tls (none with credentials is for loopback hosts only)`,
		`IDBRIDGE_SMTP_FROM: must be an address like "idbridge <noreply@example.com>", got "not an address"`,
		`IDBRIDGE_OUTBOX_INTERVAL: must be positive, got -1s`,
	}
	if !reflect.DeepEqual(verr.Problems, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(verr.Problems, "\n  "), strings.Join(want, "\n  "))
	}
	if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string
	}{
		{"valid", func(c *Config) {}, nil},
		{"postgresql scheme", func(c *Config) { c.DatabaseURL = "postgresql://localhost/x" }, nil},
		{"base url with query", func(c *Config) { c.BaseURL = "https://x.example?a=b" },
			[]string{`IDBRIDGE_BASE_URL: must have no query, fragment or user info, got "https://x.example?a=b"`}},
		{"relative base url", func(c *Config) { c.BaseURL = "/idbridge" },
			[]string{`IDBRIDGE_BASE_URL: must be an absolute http(s) URL, got "/idbridge"`}},
		{"addr port", func(c *Config) { c.Addr = "127.0.0.1:http" },
			[]string{`IDBRIDGE_ADDR: port must be 0-65535, got "http"`}},
		{"bad tls mode", func(c *Config) { c.SMTP.TLSMode = "ssl" },
			[]string{`IDBRIDGE_SMTP_TLS: must be starttls, tls or none, got "ssl"`}},
		{"password without user", func(c *Config) { c.SMTP.Password = "x" },
			[]string{"IDBRIDGE_SMTP_USERNAME: must be set when IDBRIDGE_SMTP_PASSWORD is"}},
		{"user without password", func(c *Config) { c.SMTP.Username = "x" },
			[]string{"IDBRIDGE_SMTP_PASSWORD: must be set when IDBRIDGE_SMTP_USERNAME is"}},
		{"from unchecked without smtp host", func(c *Config) { c.SMTP.From = "" }, nil},
		{"smtp host with port", func(c *Config) { c.SMTP.Host = "mail:25" },
			[]string{`IDBRIDGE_SMTP_HOST: must be a host name or IP address without port, got "mail:25"`}},
		{"support email", func(c *Config) { c.SupportContact = "help@example.com" }, nil},
		{"support url", func(c *Config) { c.SupportContact = "https://help.example.com/idbridge" }, nil},
		{"support neither", func(c *Config) { c.SupportContact = "call Bob" },
			[]string{`IDBRIDGE_SUPPORT_CONTACT: must be an email address or an https:// URL, got "call Bob"`}},
		{"zero shutdown", func(c *Config) { c.ShutdownTimeout = 0 },
			[]string{"IDBRIDGE_SHUTDOWN_TIMEOUT: must be positive, got 0s"}},
		{"scim limits", func(c *Config) { c.SCIMMaxInFlight, c.SCIMMaxInFlightPerToken, c.SCIMQueueWait = -1, 0, -time.Second },
			[]string{"IDBRIDGE_SCIM_MAX_INFLIGHT: must be 0 (twice the database pool) or more, got -1",
				"IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN: must be 1 or more, got 0",
				"IDBRIDGE_SCIM_QUEUE_WAIT: must be between 0s and 10s, got -1s"}},
		{"scim log retention too short", func(c *Config) { c.SCIMLogRetention = time.Minute },
			[]string{"IDBRIDGE_SCIM_LOG_RETENTION: must be between 1h and 366d, got 1m0s"}},
		{"scim log retention too long", func(c *Config) { c.SCIMLogRetention = 400 * 24 * time.Hour },
			[]string{"IDBRIDGE_SCIM_LOG_RETENTION: must be between 1h and 366d, got 9600h0m0s"}},
		{"scim token limit above the replica's", func(c *Config) { c.SCIMMaxInFlight, c.SCIMMaxInFlightPerToken = 4, 8 },
			[]string{"IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN: must not exceed IDBRIDGE_SCIM_MAX_INFLIGHT (4), got 8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(&c)
			err := c.Validate()
			var got []string
			var verr *ValidationError
			if errors.As(err, &verr) {
				got = verr.Problems
			} else if err != nil {
				t.Fatalf("Validate() = %v (%T), want *ValidationError", err, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate() problems = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-nope"}, "flag provided but not defined: -nope"},
		{"bad flag value", []string{"-smtp-port", "x"}, `invalid value "x" for flag -smtp-port`},
		{"password flag does not exist", []string{"-smtp-password", "x"}, "not defined: -smtp-password"},
		{"positional argument", []string{"serve"}, `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%q) error = %v, want one containing %q", tt.args, err, tt.want)
			}
		})
	}
	if _, err := Load([]string{"-h"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("Load(-h) error = %v, want flag.ErrHelp", err)
	}
	var b bytes.Buffer
	Usage(&b)
	if !strings.Contains(b.String(), "IDBRIDGE_SMTP_TLS") || !strings.Contains(b.String(), "-base-url") {
		t.Errorf("Usage() = %q, want flags with their variables", b.String())
	}
}

func TestRedaction(t *testing.T) {
	const dbPassword, smtpPassword = "db-pa55word", "smtp-pa55word"
	c, err := Load(nil, env(map[string]string{
		"IDBRIDGE_DATABASE_URL":  "postgres://idb:" + dbPassword + "@db.internal:5432/idbridge?sslmode=require",
		"IDBRIDGE_SMTP_HOST":     "smtp.example.com",
		"IDBRIDGE_SMTP_USERNAME": "mailer",
		"IDBRIDGE_SMTP_PASSWORD": smtpPassword,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL.Reveal() == "" || c.SMTP.Password.Reveal() != smtpPassword {
		t.Fatal("Reveal lost the secret")
	}

	jsonBytes, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var textLog, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("config", "config", c, "password", c.SMTP.Password)
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "config", c, "smtp", c.SMTP)

	outputs := map[string]string{
		"%v":           fmt.Sprintf("%v", c),
		"%+v":          fmt.Sprintf("%+v", c),
		"%#v":          fmt.Sprintf("%#v", c),
		"%s":           fmt.Sprintf("%s", c),
		"smtp %+v":     fmt.Sprintf("%+v", c.SMTP),
		"smtp %#v":     fmt.Sprintf("%#v", c.SMTP),
		"secret %x":    fmt.Sprintf("%x %q %d", c.SMTP.Password, c.SMTP.Password, c.DatabaseURL),
		"pointer %+v":  fmt.Sprintf("%+v", &c),
		"json":         string(jsonBytes),
		"slog text":    textLog.String(),
		"slog json":    jsonLog.String(),
		"String":       c.String(),
		"Secret.Print": fmt.Sprint(c.SMTP.Password, c.DatabaseURL),
	}
	for name, out := range outputs {
		if strings.Contains(out, dbPassword) || strings.Contains(out, smtpPassword) {
			t.Errorf("%s output leaks a secret: %s", name, out)
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("%s output has no REDACTED: %s", name, out)
		}
	}
	// The redacted form still tells the operator where the database is.
	if !strings.Contains(c.String(), "postgres://idb:REDACTED@db.internal:5432/idbridge?sslmode=require") {
		t.Errorf("String() = %s, want the database URL with only the password redacted", c.String())
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no password", "postgres://u@h/db", "postgres://u@h/db"},
		{"user password", "postgres://u:p@h/db", "postgres://u:REDACTED@h/db"},
		{"query password", "postgres://h/db?password=p&sslmode=disable", "postgres://h/db?password=REDACTED&sslmode=disable"},
		{"unparsable", "postgres://u:p@h:port/%zz", "REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactURL(tt.in); got != tt.want {
				t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
