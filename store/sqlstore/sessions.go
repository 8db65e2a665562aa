package sqlstore

import (
	"context"

	"github.com/idbridge/idbridge/store"
)

const sessionCols = `hash, account_id, org_id, connection_id, created_at, last_seen_at, expires_at`

func sessionDest(s *store.Session) []any {
	return []any{&s.Hash, textScan{&s.AccountID}, textScan{&s.OrgID}, textScan{&s.ConnectionID},
		timeScan{&s.CreatedAt}, timeScan{&s.LastSeenAt}, timeScan{&s.ExpiresAt}}
}

// InsertSession inserts a session; a taken hash is a conflict on "token".
func (t *Tx) InsertSession(ctx context.Context, s store.Session) error {
	if err := ids(&s.AccountID, &s.OrgID); err != nil {
		return err
	}
	conn, err := optID(s.ConnectionID)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "insert session", `INSERT INTO sessions (hash, account_id, org_id, connection_id, created_at,
		last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.Hash, s.AccountID, s.OrgID, conn, t.time(s.CreatedAt), t.time(s.LastSeenAt), t.time(s.ExpiresAt))
	return err
}

// GetSession returns a session by the hash of its cookie.
func (t *Tx) GetSession(ctx context.Context, hash []byte) (store.Session, error) {
	var s store.Session
	err := t.c.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE hash = $1`, hash).Scan(sessionDest(&s)...)
	return s, t.err("get session", err)
}

// UpdateSession writes LastSeenAt and ExpiresAt of s.
func (t *Tx) UpdateSession(ctx context.Context, s store.Session) error {
	return t.execOne(ctx, "update session", `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE hash = $1`,
		s.Hash, t.time(s.LastSeenAt), t.time(s.ExpiresAt))
}

// DeleteSession ends one session.
func (t *Tx) DeleteSession(ctx context.Context, hash []byte) error {
	return t.execOne(ctx, "delete session", `DELETE FROM sessions WHERE hash = $1`, hash)
}

// DeleteSessions ends an account's sessions in one org or ("") every org,
// but the one whose hash is keep (nil: none kept).
func (t *Tx) DeleteSessions(ctx context.Context, accountID, orgID string, keep []byte) (int, error) {
	if err := ids(&accountID); err != nil {
		return 0, err
	}
	a := args{accountID}
	q := `DELETE FROM sessions WHERE account_id = $1`
	if orgID != "" {
		if err := ids(&orgID); err != nil {
			return 0, err
		}
		q += ` AND org_id = ` + a.add(orgID)
	}
	if keep != nil {
		q += ` AND hash <> ` + a.add(keep)
	}
	n, err := t.exec(ctx, "delete sessions", q, a...)
	return int(n), err
}

// InsertSignIn records a sign-in; it may be queued (Pipeliner).
func (t *Tx) InsertSignIn(ctx context.Context, s store.SignIn) error {
	if err := ids(&s.AccountID, &s.OrgID); err != nil {
		return err
	}
	conn, err := optID(s.ConnectionID)
	if err != nil {
		return err
	}
	return t.execLater(ctx, "insert sign-in", `INSERT INTO sign_ins (account_id, org_id, method, connection_id, at)
		VALUES ($1, $2, $3, $4, $5)`, s.AccountID, s.OrgID, s.Method, conn, t.time(s.At))
}

// RecentSignIns returns an account's latest sign-ins in one org, newest first.
func (t *Tx) RecentSignIns(ctx context.Context, accountID, orgID string, n int) ([]store.SignIn, error) {
	if err := ids(&accountID, &orgID); err != nil {
		return nil, err
	}
	var out []store.SignIn
	err := t.queryAll(ctx, "recent sign-ins", `SELECT account_id, org_id, method, connection_id, at FROM sign_ins
		WHERE account_id = $1 AND org_id = $2 ORDER BY at DESC, id DESC LIMIT $3`, args{accountID, orgID, limit(n)},
		func(r Rows) error {
			var s store.SignIn
			err := r.Scan(textScan{&s.AccountID}, textScan{&s.OrgID}, &s.Method, textScan{&s.ConnectionID}, timeScan{&s.At})
			out = append(out, s)
			return err
		})
	return out, err
}
