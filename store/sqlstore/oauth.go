package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

// listText encodes a list of strings as a JSON array.
func listText(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// listScan scans a JSON array of strings; an empty array is nil.
type listScan struct{ v *[]string }

func (s listScan) Scan(src any) error {
	var text string
	if err := (textScan{&text}).Scan(src); err != nil {
		return err
	}
	var v []string
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return fmt.Errorf("scan list: %w", err)
	}
	if len(v) == 0 {
		v = nil
	}
	*s.v = v
	return nil
}

const appCols = `id, name, secret_hash, redirect_uris, post_logout_redirect_uris, org_ids, created_at, updated_at`

func appDest(a *store.App) []any {
	return []any{textScan{&a.ID}, &a.Name, &a.SecretHash, listScan{&a.RedirectURIs}, listScan{&a.PostLogoutRedirectURIs},
		listScan{&a.OrgIDs}, timeScan{&a.CreatedAt}, timeScan{&a.UpdatedAt}}
}

// InsertApp inserts a registered application.
func (t *Tx) InsertApp(ctx context.Context, a store.App) error {
	if err := ids(&a.ID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert app", `INSERT INTO oauth_apps (`+appCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.Name, a.SecretHash, listText(a.RedirectURIs), listText(a.PostLogoutRedirectURIs), listText(a.OrgIDs),
		t.time(a.CreatedAt), t.time(a.UpdatedAt))
	return err
}

// GetApp returns an application by id.
func (t *Tx) GetApp(ctx context.Context, id string, lock store.Lock) (store.App, error) {
	if err := ids(&id); err != nil {
		return store.App{}, err
	}
	var a store.App
	err := t.c.QueryRow(ctx, `SELECT `+appCols+` FROM oauth_apps WHERE id = $1`+t.lock(lock, ""), id).Scan(appDest(&a)...)
	return a, t.err("get app", err)
}

// UpdateApp writes every field of a.
func (t *Tx) UpdateApp(ctx context.Context, a store.App) error {
	if err := ids(&a.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update app", `UPDATE oauth_apps SET name = $2, secret_hash = $3, redirect_uris = $4,
		post_logout_redirect_uris = $5, org_ids = $6, updated_at = $7 WHERE id = $1`,
		a.ID, a.Name, a.SecretHash, listText(a.RedirectURIs), listText(a.PostLogoutRedirectURIs), listText(a.OrgIDs), t.time(a.UpdatedAt))
}

// DeleteApp deletes an application; its requests, grants and tokens go with it.
func (t *Tx) DeleteApp(ctx context.Context, id string) error {
	if err := ids(&id); err != nil {
		return err
	}
	return t.execOne(ctx, "delete app", `DELETE FROM oauth_apps WHERE id = $1`, id)
}

// ListApps lists the applications by name, then id.
func (t *Tx) ListApps(ctx context.Context) ([]store.App, error) {
	var out []store.App
	err := t.queryAll(ctx, "list apps", `SELECT `+appCols+` FROM oauth_apps ORDER BY name, id`, nil, func(r Rows) error {
		var a store.App
		err := r.Scan(appDest(&a)...)
		out = append(out, a)
		return err
	})
	return out, err
}

const authRequestCols = `id, app_id, data, code_hash, code_used_at, created_at, expires_at`

func authRequestDest(r *store.AuthRequest) []any {
	return []any{textScan{&r.ID}, textScan{&r.AppID}, jsonScan{&r.Data}, &r.CodeHash, nullTimeScan{&r.CodeUsedAt},
		timeScan{&r.CreatedAt}, timeScan{&r.ExpiresAt}}
}

// InsertAuthRequest inserts an authorization request.
func (t *Tx) InsertAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if err := ids(&r.ID, &r.AppID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert auth request", `INSERT INTO oauth_auth_requests (`+authRequestCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, r.AppID, string(r.Data), r.CodeHash, t.optTime(r.CodeUsedAt), t.time(r.CreatedAt), t.time(r.ExpiresAt))
	return err
}

// GetAuthRequest returns an authorization request by id.
func (t *Tx) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	if err := ids(&id); err != nil {
		return store.AuthRequest{}, err
	}
	var r store.AuthRequest
	err := t.c.QueryRow(ctx, `SELECT `+authRequestCols+` FROM oauth_auth_requests WHERE id = $1`, id).Scan(authRequestDest(&r)...)
	return r, t.err("get auth request", err)
}

// UpdateAuthRequest writes Data, CodeHash and ExpiresAt.
func (t *Tx) UpdateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if err := ids(&r.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update auth request", `UPDATE oauth_auth_requests SET data = $2, code_hash = $3, expires_at = $4 WHERE id = $1`,
		r.ID, string(r.Data), r.CodeHash, t.time(r.ExpiresAt))
}

// UseAuthCode marks a code used; the UPDATE decides which of two concurrent
// calls does.
func (t *Tx) UseAuthCode(ctx context.Context, hash []byte, now time.Time) (store.AuthRequest, bool, error) {
	var r store.AuthRequest
	err := t.c.QueryRow(ctx, `UPDATE oauth_auth_requests SET code_used_at = $2 WHERE code_hash = $1 AND code_used_at IS NULL
		RETURNING `+authRequestCols, hash, t.time(now)).Scan(authRequestDest(&r)...)
	if err = t.err("use auth code", err); !errors.Is(err, store.ErrNotFound) {
		return r, false, err
	}
	err = t.c.QueryRow(ctx, `SELECT `+authRequestCols+` FROM oauth_auth_requests WHERE code_hash = $1`, hash).Scan(authRequestDest(&r)...)
	if err != nil {
		return store.AuthRequest{}, false, t.err("used auth code", err)
	}
	return r, true, nil
}

const grantCols = `id, app_id, account_id, org_id, auth_request_id, session_id, scopes, amr, auth_time, created_at, expires_at`

func grantDest(g *store.Grant) []any {
	return []any{textScan{&g.ID}, textScan{&g.AppID}, textScan{&g.AccountID}, textScan{&g.OrgID}, textScan{&g.AuthRequestID},
		&g.SessionID, wordsScan{&g.Scopes}, wordsScan{&g.AMR}, timeScan{&g.AuthTime}, timeScan{&g.CreatedAt}, timeScan{&g.ExpiresAt}}
}

// wordsScan scans a space-separated list.
type wordsScan struct{ v *[]string }

func (s wordsScan) Scan(src any) error {
	var text string
	if err := (textScan{&text}).Scan(src); err != nil {
		return err
	}
	*s.v = strings.Fields(text)
	return nil
}

// InsertGrant inserts a grant.
func (t *Tx) InsertGrant(ctx context.Context, g store.Grant) error {
	if err := ids(&g.ID, &g.AppID, &g.AccountID, &g.OrgID); err != nil {
		return err
	}
	req, err := optID(g.AuthRequestID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert grant", `INSERT INTO oauth_grants (`+grantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		g.ID, g.AppID, g.AccountID, g.OrgID, req, g.SessionID, strings.Join(g.Scopes, " "), strings.Join(g.AMR, " "),
		t.time(g.AuthTime), t.time(g.CreatedAt), t.time(g.ExpiresAt))
	return err
}

// GetGrant returns a grant by id.
func (t *Tx) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	if err := ids(&id); err != nil {
		return store.Grant{}, err
	}
	var g store.Grant
	err := t.c.QueryRow(ctx, `SELECT `+grantCols+` FROM oauth_grants WHERE id = $1`, id).Scan(grantDest(&g)...)
	return g, t.err("get grant", err)
}

// DeleteGrant deletes a grant and its tokens.
func (t *Tx) DeleteGrant(ctx context.Context, id string) error {
	if err := ids(&id); err != nil {
		return nil
	}
	_, err := t.exec(ctx, "delete grant", `DELETE FROM oauth_grants WHERE id = $1`, id)
	return err
}

// DeleteGrantsOf deletes an account's grants in one org or ("") every org.
func (t *Tx) DeleteGrantsOf(ctx context.Context, accountID, orgID string) (int, error) {
	if err := ids(&accountID); err != nil {
		return 0, err
	}
	q, a := `DELETE FROM oauth_grants WHERE account_id = $1`, []any{accountID}
	if orgID != "" {
		if err := ids(&orgID); err != nil {
			return 0, err
		}
		q, a = q+` AND org_id = $2`, append(a, orgID)
	}
	n, err := t.exec(ctx, "delete grants", q, a...)
	return int(n), err
}

// DeleteGrantsOfOrg deletes the grants of every member of an org.
func (t *Tx) DeleteGrantsOfOrg(ctx context.Context, orgID string) (int, error) {
	if err := ids(&orgID); err != nil {
		return 0, err
	}
	n, err := t.exec(ctx, "delete grants of org", `DELETE FROM oauth_grants WHERE org_id = $1`, orgID)
	return int(n), err
}

// DeleteGrantsOfRequest deletes the grants issued from an authorization request.
func (t *Tx) DeleteGrantsOfRequest(ctx context.Context, authRequestID string) error {
	if err := ids(&authRequestID); err != nil {
		return nil
	}
	_, err := t.exec(ctx, "delete grants of request", `DELETE FROM oauth_grants WHERE auth_request_id = $1`, authRequestID)
	return err
}

const oauthTokenCols = `id, grant_id, kind, hash, created_at, expires_at, used_at`

func oauthTokenDest(o *store.OAuthToken) []any {
	return []any{textScan{&o.ID}, textScan{&o.GrantID}, (*string)(&o.Kind), &o.Hash, timeScan{&o.CreatedAt},
		timeScan{&o.ExpiresAt}, nullTimeScan{&o.UsedAt}}
}

// InsertOAuthToken inserts a token of a grant.
func (t *Tx) InsertOAuthToken(ctx context.Context, o store.OAuthToken) error {
	if err := ids(&o.ID, &o.GrantID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert oauth token", `INSERT INTO oauth_tokens (`+oauthTokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		o.ID, o.GrantID, string(o.Kind), o.Hash, t.time(o.CreatedAt), t.time(o.ExpiresAt), t.optTime(o.UsedAt))
	return err
}

// GetOAuthToken returns a token by id.
func (t *Tx) GetOAuthToken(ctx context.Context, id string) (store.OAuthToken, error) {
	if err := ids(&id); err != nil {
		return store.OAuthToken{}, err
	}
	var o store.OAuthToken
	err := t.c.QueryRow(ctx, `SELECT `+oauthTokenCols+` FROM oauth_tokens WHERE id = $1`, id).Scan(oauthTokenDest(&o)...)
	return o, t.err("get oauth token", err)
}

// OAuthTokenByHash returns a token by the hash of its secret.
func (t *Tx) OAuthTokenByHash(ctx context.Context, hash []byte) (store.OAuthToken, error) {
	var o store.OAuthToken
	err := t.c.QueryRow(ctx, `SELECT `+oauthTokenCols+` FROM oauth_tokens WHERE hash = $1`, hash).Scan(oauthTokenDest(&o)...)
	return o, t.err("oauth token by hash", err)
}

// UseOAuthToken sets used_at of an unused token; the UPDATE decides.
func (t *Tx) UseOAuthToken(ctx context.Context, id string, now time.Time) (bool, error) {
	if err := ids(&id); err != nil {
		return false, err
	}
	n, err := t.exec(ctx, "use oauth token", `UPDATE oauth_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, t.time(now))
	return n == 1, err
}

// DeleteOAuthToken deletes one token.
func (t *Tx) DeleteOAuthToken(ctx context.Context, id string) error {
	if err := ids(&id); err != nil {
		return err
	}
	return t.execOne(ctx, "delete oauth token", `DELETE FROM oauth_tokens WHERE id = $1`, id)
}

// InsertSigningKey inserts a signing key.
func (t *Tx) InsertSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := t.exec(ctx, "insert signing key", `INSERT INTO oauth_signing_keys (id, alg, private_key, created_at, signs_from, retire_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, k.Alg, k.PrivateKey, t.time(k.CreatedAt), t.time(k.SignsFrom), t.optTime(k.RetireAt))
	return err
}

// ListSigningKeys lists the signing keys by signs_from, then id.
func (t *Tx) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var out []store.SigningKey
	err := t.queryAll(ctx, "list signing keys", `SELECT id, alg, private_key, created_at, signs_from, retire_at
		FROM oauth_signing_keys ORDER BY signs_from, id`, nil,
		func(r Rows) error {
			var k store.SigningKey
			err := r.Scan(&k.ID, &k.Alg, &k.PrivateKey, timeScan{&k.CreatedAt}, timeScan{&k.SignsFrom}, nullTimeScan{&k.RetireAt})
			out = append(out, k)
			return err
		})
	return out, err
}

// LockKeyRotation locks the one row of oauth_key_rotation.
func (t *Tx) LockKeyRotation(ctx context.Context) error {
	var id int
	err := t.c.QueryRow(ctx, `SELECT id FROM oauth_key_rotation WHERE id = 1`+t.lock(store.LockUpdate, "")).Scan(&id)
	return t.err("lock key rotation", err)
}

// RetireSigningKey sets a key's retire_at.
func (t *Tx) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, "retire signing key", `UPDATE oauth_signing_keys SET retire_at = $2 WHERE id = $1`, id, t.time(at))
}

// DeleteSigningKey deletes a signing key.
func (t *Tx) DeleteSigningKey(ctx context.Context, id string) error {
	return t.execOne(ctx, "delete signing key", `DELETE FROM oauth_signing_keys WHERE id = $1`, id)
}

// PurgeOAuth deletes expired requests, tokens and grants.
func (t *Tx) PurgeOAuth(ctx context.Context, now time.Time) (int, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM oauth_auth_requests WHERE expires_at < $1`,
		`DELETE FROM oauth_tokens WHERE expires_at < $1`,
		`DELETE FROM oauth_grants WHERE expires_at < $1`,
	} {
		n, err := t.exec(ctx, "purge oauth", q, t.time(now))
		if err != nil {
			return 0, err
		}
		total += n
	}
	return int(total), nil
}
