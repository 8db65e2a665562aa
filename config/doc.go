// Package config holds idbridge's typed configuration.
//
// The flow: cmd/ calls Load(os.Args[i:], os.Getenv). Load starts from
// Default(), applies the IDBRIDGE_* environment variables, then the flags
// (flags win), derives BaseURL and SMTP.From when neither set them, and runs
// Validate, which reports every problem at once in one *ValidationError.
// Only cmd/ reads the environment; everything else receives a Config.
//
// Secrets (the database URL, the SMTP password) are of type Secret, which
// prints "REDACTED" through fmt, encoding/json and log/slog; Config's String
// and LogValue show the database URL with only its password redacted.
// Reveal returns the real value where a driver or server needs it.
//
// Variables (flag in brackets):
//
//	IDBRIDGE_ADDR              [-addr]             127.0.0.1:8080
//	IDBRIDGE_BASE_URL          [-base-url]         http://<addr> (wildcard host -> localhost)
//	IDBRIDGE_DATABASE_URL      [-database-url]     empty = SQLite in the data dir; else postgres:// or postgresql://
//	IDBRIDGE_DATA_DIR          [-data-dir]         ./data
//	IDBRIDGE_LOG_LEVEL         [-log-level]        info (debug|info|warn|error)
//	IDBRIDGE_SECRET_KEY        (environment only)  empty = a random key kept in <data dir>/secret.key (development)
//	IDBRIDGE_ALLOW_PRIVATE_METADATA [-allow-private-metadata] false
//	IDBRIDGE_SMTP_HOST         [-smtp-host]        empty = mail is written to <data dir>/mail and logged
//	IDBRIDGE_SMTP_PORT         [-smtp-port]        587
//	IDBRIDGE_SMTP_USERNAME     [-smtp-username]    AUTH PLAIN when set
//	IDBRIDGE_SMTP_PASSWORD     (environment only)
//	IDBRIDGE_SMTP_TLS          [-smtp-tls]         starttls (default), tls (implicit), none
//	IDBRIDGE_SMTP_FROM         [-smtp-from]        idbridge <noreply@<base URL host>>
//	IDBRIDGE_SHUTDOWN_TIMEOUT  [-shutdown-timeout] 15s
//	IDBRIDGE_OUTBOX_INTERVAL   [-outbox-interval]  2s
//	IDBRIDGE_SCIM_MAX_INFLIGHT [-scim-max-inflight] 0 = twice the database pool (20 by default)
//	IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN [-scim-max-inflight-per-token] 8
//	IDBRIDGE_SCIM_QUEUE_WAIT   [-scim-queue-wait]  100ms (0s-10s)
//
// IDBRIDGE_SMTP_TLS=none is accepted for any host so that a mail catcher on
// a private network (mailpit in docker-compose.yml) works, but not together
// with a user name unless the host is loopback: credentials never travel in
// clear text.
package config
