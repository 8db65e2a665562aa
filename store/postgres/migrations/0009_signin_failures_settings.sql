-- Failed password sign-ins of emails that have no account, counted like an
-- account's failed_attempts so that the answers (and the lockout after five)
-- do not tell which emails have an account. The key is the SHA-256 of the
-- folded email: addresses people mistyped are not stored.
CREATE TABLE signin_failures (
    email_hash      bytea CONSTRAINT signin_failures_pkey PRIMARY KEY,
    failed_attempts integer NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Settings of the running service, written by `idbridge serve` (base_url:
-- the public URL the CLI builds links with).
CREATE TABLE settings (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);
