-- Every replica caches validated SCIM tokens only while it LISTENs on
-- idbridge_scim_token_revoked: any change to a token other than its last use
-- (revocation, rename, deletion, also by cascade from its org, by any
-- process) notifies the token id at commit, and the replicas evict it.
CREATE FUNCTION idbridge_scim_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('idbridge_scim_token_revoked', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER scim_tokens_changed AFTER UPDATE ON scim_tokens FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.hash IS DISTINCT FROM NEW.hash OR OLD.org_id IS DISTINCT FROM NEW.org_id
          OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION idbridge_scim_token_changed();

CREATE TRIGGER scim_tokens_deleted AFTER DELETE ON scim_tokens FOR EACH ROW
    EXECUTE FUNCTION idbridge_scim_token_changed();
