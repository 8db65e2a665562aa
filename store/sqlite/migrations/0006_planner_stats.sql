-- SQLite has no statistics until ANALYZE runs, and without them it plans as
-- if every index narrowed a search to ten rows. A lookup by userName (or
-- externalId, or a group's displayName) then walked the whole org through the
-- primary key, which also yields the page's order: 5 ms per lookup at 20,000
-- members. These are the proportions of a large deployment (orgs of 10,000
-- members, unique keys), which is what the queries are written for; an
-- ANALYZE or PRAGMA optimize replaces them with measured ones, which lead to
-- the same plans once the tables are large.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl IN ('memberships', 'accounts', 'groups', 'group_members');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('memberships', 'memberships', '1000000 10000 1'),
  ('memberships', 'memberships_user_name', '1000000 10000 1'),
  ('memberships', 'memberships_user_name_key', '1000000 10000 1'),
  ('memberships', 'memberships_external_id_key', '1000000 10000 1'),
  ('memberships', 'memberships_account', '1000000 2'),
  ('accounts', 'sqlite_autoindex_accounts_1', '1000000 1'),
  ('accounts', 'sqlite_autoindex_accounts_2', '1000000 1'),
  ('groups', 'sqlite_autoindex_groups_1', '100000 1'),
  ('groups', 'sqlite_autoindex_groups_2', '100000 1000 1'),
  ('groups', 'groups_name_key', '100000 1000 1'),
  ('group_members', 'group_members', '10000000 1000 1'),
  ('group_members', 'group_members_member', '10000000 10000 5');
