-- SCIM: userName is unique per org, case-insensitively, and found by one
-- index lookup at a million members. It lives in the org's profile
-- (memberships.profile, what the IdP sent); the expression below is exactly
-- what store/sqlstore's filters compare.
CREATE UNIQUE INDEX memberships_user_name_key ON memberships (org_id, lower((profile ->> 'userName')));
-- Entra looks groups up by displayName (groups_name_key) and users by
-- externalId (memberships_external_id_key): both indexed by 0001.
