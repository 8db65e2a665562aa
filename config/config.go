package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// TLSMode says how the SMTP connection is protected.
type TLSMode string

const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS (port 587).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone never encrypts. It suits a local mail catcher (mailpit in
	// docker-compose.yml); Validate refuses it with credentials unless the host
	// is loopback, so a password never crosses a network in clear text.
	TLSNone TLSMode = "none"
)

// Config is the whole configuration of idbridge.
type Config struct {
	Addr        string // IDBRIDGE_ADDR: listen address, host:port
	BaseURL     string // IDBRIDGE_BASE_URL: public URL, no trailing slash
	DatabaseURL Secret // IDBRIDGE_DATABASE_URL: postgres:// URL; empty = SQLite in DataDir
	DataDir     string // IDBRIDGE_DATA_DIR: SQLite file, dev mail files
	LogLevel    string // IDBRIDGE_LOG_LEVEL: debug, info, warn or error

	// SecretKey (IDBRIDGE_SECRET_KEY) encrypts the secrets kept in SSO
	// connection settings. Every replica must share it. When unset,
	// EnsureSecretKey makes one under DataDir (development).
	SecretKey Secret
	// AllowPrivateMetadata (IDBRIDGE_ALLOW_PRIVATE_METADATA) lets IdP metadata
	// and OIDC discovery be fetched from loopback and private addresses.
	AllowPrivateMetadata bool

	// SupportContact (IDBRIDGE_SUPPORT_CONTACT) is how people reach platform
	// support, an email address or an https URL: the "Forgot your
	// username?" page shows it.
	SupportContact string

	SMTP SMTP

	ShutdownTimeout time.Duration // IDBRIDGE_SHUTDOWN_TIMEOUT
	OutboxInterval  time.Duration // IDBRIDGE_OUTBOX_INTERVAL

	// SCIM requests in progress at once on this replica, and per bearer
	// token; one more waits up to SCIMQueueWait for a place, then is answered
	// 503 (replica) or 429 (token) with Retry-After.
	SCIMMaxInFlight         int           // IDBRIDGE_SCIM_MAX_INFLIGHT: 0 = twice the database pool
	SCIMMaxInFlightPerToken int           // IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN
	SCIMQueueWait           time.Duration // IDBRIDGE_SCIM_QUEUE_WAIT

	// SCIMLogRetention (IDBRIDGE_SCIM_LOG_RETENTION) is how long the SCIM
	// request log and the sign-in attempts are kept (default 30 days).
	SCIMLogRetention time.Duration

	// BulkJobThreshold (IDBRIDGE_BULK_JOB_THRESHOLD) is the most users an
	// admin's bulk change handles inside the request; more run as a stored
	// job (0 = 200).
	BulkJobThreshold int
}

// SMTP configures outbound mail. An empty Host means no SMTP: mail is written
// to files under DataDir and logged instead (development).
type SMTP struct {
	Host     string  // IDBRIDGE_SMTP_HOST
	Port     int     // IDBRIDGE_SMTP_PORT
	Username string  // IDBRIDGE_SMTP_USERNAME
	Password Secret  // IDBRIDGE_SMTP_PASSWORD
	TLSMode  TLSMode // IDBRIDGE_SMTP_TLS
	From     string  // IDBRIDGE_SMTP_FROM: default From, e.g. "idbridge <noreply@example.com>"
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	c := Config{
		Addr:     "127.0.0.1:8080",
		DataDir:  "./data",
		LogLevel: "info",
		SMTP: SMTP{
			Port:    587,
			TLSMode: TLSStartTLS,
		},
		ShutdownTimeout:         15 * time.Second,
		OutboxInterval:          2 * time.Second,
		SCIMMaxInFlightPerToken: 8,
		SCIMQueueWait:           100 * time.Millisecond,
		SCIMLogRetention:        30 * 24 * time.Hour,
	}
	c.BaseURL = baseURLFor(c.Addr)
	c.SMTP.From = fromFor(c.BaseURL)
	return c
}

// Load builds a Config from Default, then the IDBRIDGE_* variables read
// through getenv (an empty value counts as unset), then the flags in args:
// flags win over the environment. BaseURL and SMTP.From, when set by neither,
// are derived from the final Addr and BaseURL. The returned error, if any,
// lists every problem at once, parse errors and Validate's together; an
// error wrapping flag.ErrHelp means -h was asked for (see Usage).
func Load(args []string, getenv func(string) string) (Config, error) {
	c := Default()
	var problems []string
	for _, v := range vars(&c) {
		if s := getenv(v.env); s != "" {
			if err := v.set(s); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", v.env, err))
			}
		}
	}
	baseSet := getenv("IDBRIDGE_BASE_URL") != ""
	fromSet := getenv("IDBRIDGE_SMTP_FROM") != ""

	fs := flagSet(&c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, &ValidationError{Problems: append(problems, err.Error())}
	}
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "base-url":
			baseSet = true
		case "smtp-from":
			fromSet = true
		}
	})
	if !baseSet {
		c.BaseURL = baseURLFor(c.Addr)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if !fromSet {
		c.SMTP.From = fromFor(c.BaseURL)
	}

	var verr *ValidationError
	if err := c.Validate(); errors.As(err, &verr) {
		problems = append(problems, verr.Problems...)
	}
	if len(problems) > 0 {
		return c, &ValidationError{Problems: problems}
	}
	return c, nil
}

// Usage writes the flags, their environment variables and defaults to w.
func Usage(w io.Writer) {
	c := Default()
	fs := flagSet(&c)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// Level returns the slog level named by LogLevel (info if it is invalid;
// Validate reports that).
func (c Config) Level() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// String shows the configuration with secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.attrs() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", a.Key, a.Value)
	}
	return b.String()
}

// GoString is String, for %#v.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer with secrets redacted.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.attrs()...) }

func (c Config) attrs() []slog.Attr {
	password := ""
	if c.SMTP.Password != "" {
		password = redacted
	}
	return []slog.Attr{
		slog.String("addr", c.Addr),
		slog.String("base_url", c.BaseURL),
		slog.String("database_url", redactURL(c.DatabaseURL.Reveal())),
		slog.String("data_dir", c.DataDir),
		slog.String("log_level", c.LogLevel),
		slog.String("secret_key", c.SecretKey.String()),
		slog.Bool("allow_private_metadata", c.AllowPrivateMetadata),
		slog.String("support_contact", c.SupportContact),
		slog.String("smtp_host", c.SMTP.Host),
		slog.Int("smtp_port", c.SMTP.Port),
		slog.String("smtp_username", c.SMTP.Username),
		slog.String("smtp_password", password),
		slog.String("smtp_tls", string(c.SMTP.TLSMode)),
		slog.String("smtp_from", c.SMTP.From),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Duration("outbox_interval", c.OutboxInterval),
		slog.Int("scim_max_inflight", c.SCIMMaxInFlight),
		slog.Int("scim_max_inflight_per_token", c.SCIMMaxInFlightPerToken),
		slog.Duration("scim_queue_wait", c.SCIMQueueWait),
		slog.Duration("scim_log_retention", c.SCIMLogRetention),
		slog.Int("bulk_job_threshold", c.BulkJobThreshold),
	}
}

// variable is one setting: its environment name, flag name, help, and how
// to read it into the Config.
type variable struct {
	env, flag, help string
	set             func(string) error
	get             func() string
}

// vars lists every setting once; Load, the flags and Usage all use it.
func vars(c *Config) []variable {
	str := func(p *string) (func(string) error, func() string) {
		return func(s string) error { *p = s; return nil }, func() string { return *p }
	}
	v := func(env, flagName, help string, set func(string) error, get func() string) variable {
		return variable{env: env, flag: flagName, help: help, set: set, get: get}
	}
	addrSet, addrGet := str(&c.Addr)
	baseSet, baseGet := str(&c.BaseURL)
	dirSet, dirGet := str(&c.DataDir)
	levelSet, levelGet := str(&c.LogLevel)
	hostSet, hostGet := str(&c.SMTP.Host)
	userSet, userGet := str(&c.SMTP.Username)
	fromSet, fromGet := str(&c.SMTP.From)
	supportSet, supportGet := str(&c.SupportContact)
	return []variable{
		v("IDBRIDGE_ADDR", "addr", "HTTP listen address (host:port)", addrSet, addrGet),
		v("IDBRIDGE_BASE_URL", "base-url", "public base URL (default http://<addr>)", baseSet, baseGet),
		v("IDBRIDGE_DATABASE_URL", "database-url", "postgres:// URL; empty = SQLite in the data dir (prefer the environment: flags show in ps)",
			func(s string) error { c.DatabaseURL = Secret(s); return nil },
			func() string { return redactURL(c.DatabaseURL.Reveal()) }),
		v("IDBRIDGE_DATA_DIR", "data-dir", "directory for the SQLite file and development mail", dirSet, dirGet),
		v("IDBRIDGE_LOG_LEVEL", "log-level", "debug, info, warn or error", levelSet, levelGet),
		// The secret key has no flag: command lines are visible to every local user.
		v("IDBRIDGE_SECRET_KEY", "", "",
			func(s string) error { c.SecretKey = Secret(s); return nil },
			func() string { return redacted }),
		v("IDBRIDGE_ALLOW_PRIVATE_METADATA", "allow-private-metadata", "allow fetching IdP metadata from private and loopback addresses",
			func(s string) error {
				b, err := strconv.ParseBool(s)
				if err != nil {
					return fmt.Errorf("must be true or false, got %q", s)
				}
				c.AllowPrivateMetadata = b
				return nil
			},
			func() string { return strconv.FormatBool(c.AllowPrivateMetadata) }),
		v("IDBRIDGE_SUPPORT_CONTACT", "support-contact", "how people reach support (an email address or https URL), shown to those who forgot their username", supportSet, supportGet),
		v("IDBRIDGE_SMTP_HOST", "smtp-host", "SMTP server; empty = write mail to files and log it", hostSet, hostGet),
		v("IDBRIDGE_SMTP_PORT", "smtp-port", "SMTP port", intSetter(&c.SMTP.Port, "a port number"),
			func() string { return strconv.Itoa(c.SMTP.Port) }),
		v("IDBRIDGE_SMTP_USERNAME", "smtp-username", "SMTP AUTH PLAIN user name", userSet, userGet),
		// The password has no flag: command lines are visible to every local user.
		v("IDBRIDGE_SMTP_PASSWORD", "", "",
			func(s string) error { c.SMTP.Password = Secret(s); return nil },
			func() string { return redacted }),
		v("IDBRIDGE_SMTP_TLS", "smtp-tls", "starttls, tls (implicit) or none",
			func(s string) error { c.SMTP.TLSMode = TLSMode(strings.ToLower(s)); return nil },
			func() string { return string(c.SMTP.TLSMode) }),
		v("IDBRIDGE_SMTP_FROM", "smtp-from", "default From address (default idbridge <noreply@<base URL host>>)", fromSet, fromGet),
		v("IDBRIDGE_SHUTDOWN_TIMEOUT", "shutdown-timeout", "graceful shutdown limit", durationSetter(&c.ShutdownTimeout),
			func() string { return c.ShutdownTimeout.String() }),
		v("IDBRIDGE_OUTBOX_INTERVAL", "outbox-interval", "how often the mail outbox is polled", durationSetter(&c.OutboxInterval),
			func() string { return c.OutboxInterval.String() }),
		v("IDBRIDGE_SCIM_MAX_INFLIGHT", "scim-max-inflight", "SCIM requests in progress at once on this replica; more get 503 (0 = twice the database pool)",
			intSetter(&c.SCIMMaxInFlight, "a number"), func() string { return strconv.Itoa(c.SCIMMaxInFlight) }),
		v("IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN", "scim-max-inflight-per-token", "SCIM requests in progress at once per token; more get 429",
			intSetter(&c.SCIMMaxInFlightPerToken, "a number"), func() string { return strconv.Itoa(c.SCIMMaxInFlightPerToken) }),
		v("IDBRIDGE_SCIM_QUEUE_WAIT", "scim-queue-wait", "how long a SCIM request over the limits waits for a place before 503/429",
			durationSetter(&c.SCIMQueueWait), func() string { return c.SCIMQueueWait.String() }),
		v("IDBRIDGE_SCIM_LOG_RETENTION", "scim-log-retention", "how long the SCIM request log and sign-in attempts are kept (e.g. 30d, 72h)",
			daysSetter(&c.SCIMLogRetention), func() string { return c.SCIMLogRetention.String() }),
		v("IDBRIDGE_BULK_JOB_THRESHOLD", "bulk-job-threshold", "the most users a bulk change handles in the request; more run as a stored job (0 = 200)",
			intSetter(&c.BulkJobThreshold, "a number"), func() string { return strconv.Itoa(c.BulkJobThreshold) }),
	}
}

func intSetter(p *int, what string) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("must be %s, got %q", what, s)
		}
		*p = n
		return nil
	}
}

func durationSetter(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("must be a duration like 15s, got %q", s)
		}
		*p = d
		return nil
	}
}

// daysSetter reads a duration, also in whole days ("30d").
func daysSetter(p *time.Duration) func(string) error {
	return func(s string) error {
		if n, ok := strings.CutSuffix(s, "d"); ok {
			if d, err := strconv.Atoi(n); err == nil {
				*p = time.Duration(d) * 24 * time.Hour
				return nil
			}
		}
		if d, err := time.ParseDuration(s); err == nil {
			*p = d
			return nil
		}
		return fmt.Errorf("must be a number of days like 30d or a duration like 72h, got %q", s)
	}
}

// funcValue adapts a variable to flag.Value.
type funcValue variable

func (f funcValue) String() string {
	if f.get == nil { // flag's zero-value probe for PrintDefaults
		return ""
	}
	return f.get()
}
func (f funcValue) Set(s string) error { return f.set(s) }

func flagSet(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("idbridge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, v := range vars(c) {
		if v.flag != "" {
			fs.Var(funcValue(v), v.flag, v.help+" ["+v.env+"]")
		}
	}
	return fs
}

// baseURLFor is the default public URL for a listen address; a wildcard or
// empty host becomes localhost so the URL is one a browser can open.
func baseURLFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// fromFor is the default From for a base URL: noreply at its host name, or
// at localhost when the host is an IP address.
func fromFor(baseURL string) string {
	host := "localhost"
	if h := hostnameOf(baseURL); h != "" && net.ParseIP(h) == nil {
		host = h
	}
	return "idbridge <noreply@" + host + ">"
}
