-- Seeds an org with SCIM users exactly as `idbridge loadtest scim` provisions
-- them (same account, membership and profile shape), server-side, so that
-- lookups can be measured at a million members without a 15-minute sync:
--
--   psql "$IDBRIDGE_DATABASE_URL" -v org=ORG_ID -v run=seed1m -v n=1000000 \
--        -f scripts/seed-scim-users.sql
--   idbridge loadtest scim --url URL --token T --run seed1m --lookup-only --users 1000000
--
-- Users are lt-<run>-<i>@loadtest.example for i in [0, n).
\set ON_ERROR_STOP on
SET statement_timeout = 0;
BEGIN;
WITH s AS (
  SELECT i, gen_random_uuid() AS id, 'lt-' || :'run' || '-' || i || '@loadtest.example' AS email
    FROM generate_series(0, :n - 1) AS i
), a AS (
  INSERT INTO accounts (id, email, given_name, family_name, created_at, updated_at)
  SELECT id, email, 'Given' || i, 'Load', now(), now() FROM s
  RETURNING id, email
)
INSERT INTO memberships (org_id, account_id, user_type, subscription, reports_role, external_id, profile, created_at, updated_at)
SELECT :'org'::uuid, s.id, 'user', 'none', 'no_access', :'run' || '-' || s.i,
       jsonb_build_object(
         'name', jsonb_build_object('formatted', 'Given' || s.i || ' Load', 'givenName', 'Given' || s.i, 'familyName', 'Load'),
         'active', true,
         'emails', jsonb_build_array(jsonb_build_object('type', 'work', 'value', s.email, 'primary', true)),
         'userName', s.email,
         'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
           jsonb_build_object('department', 'Dept' || (s.i % 50), 'employeeNumber', s.i::text)),
       now(), now()
  FROM s JOIN a ON a.id = s.id;
COMMIT;
ANALYZE accounts;
ANALYZE memberships;
