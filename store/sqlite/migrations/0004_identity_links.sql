-- SSO identity links (issue 4): an IdP subject at one connection is one
-- account; an account has at most one subject per connection. Subjects
-- compare exactly (BINARY). Links go with their connection, org or account.
CREATE TABLE identity_links (
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, subject),
    UNIQUE (connection_id, account_id)
) STRICT;
CREATE INDEX identity_links_account ON identity_links (account_id, org_id);
