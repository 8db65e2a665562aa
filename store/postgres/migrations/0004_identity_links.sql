-- SSO identity links (issue 4): an IdP subject at one connection is one
-- account; an account has at most one subject per connection. Subjects
-- compare exactly. Links go with their connection, org or account.
CREATE TABLE identity_links (
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    subject       text NOT NULL,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    CONSTRAINT identity_links_pkey PRIMARY KEY (connection_id, subject),
    CONSTRAINT identity_links_account_key UNIQUE (connection_id, account_id)
);
CREATE INDEX identity_links_account ON identity_links (account_id, org_id);
