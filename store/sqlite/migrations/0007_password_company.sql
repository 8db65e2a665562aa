-- Who vouches for an account's password (docs/security-model.md): NULL when
-- the person set it through a link mailed to the account's current address,
-- else the company whose IdP or admin set it or changed the email under it.
-- Such a password is cleared when the account joins another company's org.
ALTER TABLE accounts ADD COLUMN password_company_id TEXT;

-- Existing passwords: the company of the latest IdP password write or
-- non-support email change, unless a link was used after it.
UPDATE accounts SET password_company_id = (
  SELECT o.company_id FROM audit_log l JOIN orgs o ON o.id = l.org_id
  WHERE l.target_id = accounts.id
    AND (l.action = 'account.password_set' OR (l.action = 'account.email_change' AND l.actor_kind <> 'support'))
    AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.target_id = l.target_id
      AND u.action IN ('account.reset_used', 'account.invitation_used') AND u.seq > l.seq)
  ORDER BY l.seq DESC LIMIT 1)
WHERE password_hash <> '';
