-- SCIM: userName is unique per org, case-insensitively, and found by one
-- index lookup at a million members. It lives in the org's profile
-- (memberships.profile, what the IdP sent); the expression below is exactly
-- what store/sqlstore's filters compare.
CREATE UNIQUE INDEX memberships_user_name_key ON memberships (org_id, lower(json_extract(profile, '$."userName"')));
