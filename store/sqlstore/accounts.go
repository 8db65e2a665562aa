package sqlstore

import (
	"context"
	"time"

	"github.com/idbridge/idbridge/store"
)

const accountCols = `a.id, a.email, a.given_name, a.family_name, a.password_hash, a.password_company_id, a.activated_at,
	a.failed_attempts, a.locked_at, a.created_at, a.updated_at`

func accountDest(a *store.Account) []any {
	return []any{textScan{&a.ID}, &a.Email, &a.GivenName, &a.FamilyName, &a.PasswordHash, textScan{&a.PasswordCompanyID}, nullTimeScan{&a.ActivatedAt},
		&a.FailedAttempts, nullTimeScan{&a.LockedAt}, timeScan{&a.CreatedAt}, timeScan{&a.UpdatedAt}}
}

// InsertAccount inserts an account; a taken email is a conflict on "email".
// It may be queued (Pipeliner): the conflict then fails the transaction later.
func (t *Tx) InsertAccount(ctx context.Context, a store.Account) error {
	if err := ids(&a.ID); err != nil {
		return err
	}
	pwCompany, err := optID(a.PasswordCompanyID)
	if err != nil {
		return err
	}
	return t.execLater(ctx, "insert account", `INSERT INTO accounts (id, email, given_name, family_name, password_hash,
		password_company_id, activated_at, failed_attempts, locked_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.Email, a.GivenName, a.FamilyName, a.PasswordHash, pwCompany, t.optTime(a.ActivatedAt), a.FailedAttempts,
		t.optTime(a.LockedAt), t.time(a.CreatedAt), t.time(a.UpdatedAt))
}

// GetAccount returns one account.
func (t *Tx) GetAccount(ctx context.Context, accountID string, lock store.Lock) (store.Account, error) {
	if err := ids(&accountID); err != nil {
		return store.Account{}, err
	}
	var a store.Account
	err := t.c.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts a WHERE a.id = $1`+t.lock(lock, ""), accountID).Scan(accountDest(&a)...)
	return a, t.err("get account", err)
}

// AccountByEmail finds an account by email, compared as the unique index folds it.
func (t *Tx) AccountByEmail(ctx context.Context, email string, lock store.Lock) (store.Account, error) {
	var a store.Account
	err := t.c.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts a WHERE `+t.d.Fold("a.email")+` = `+t.d.Fold("$1")+t.lock(lock, ""),
		email).Scan(accountDest(&a)...)
	return a, t.err("account by email", err)
}

// UpdateAccount writes every field of a.
func (t *Tx) UpdateAccount(ctx context.Context, a store.Account) error {
	if err := ids(&a.ID); err != nil {
		return err
	}
	pwCompany, err := optID(a.PasswordCompanyID)
	if err != nil {
		return err
	}
	return t.execOne(ctx, "update account", `UPDATE accounts SET email = $2, given_name = $3, family_name = $4,
		password_hash = $5, password_company_id = $6, activated_at = $7, failed_attempts = $8, locked_at = $9,
		updated_at = $10 WHERE id = $1`,
		a.ID, a.Email, a.GivenName, a.FamilyName, a.PasswordHash, pwCompany, t.optTime(a.ActivatedAt), a.FailedAttempts,
		t.optTime(a.LockedAt), t.time(a.UpdatedAt))
}

// ReserveSignInFailure counts a failure of an email without an account, in
// one statement: concurrent attempts each get their own count, and none once
// max is reached.
func (t *Tx) ReserveSignInFailure(ctx context.Context, key []byte, max int, now time.Time) (int, error) {
	var n int
	err := t.c.QueryRow(ctx, `INSERT INTO signin_failures (email_hash, failed_attempts, updated_at) VALUES ($1, 1, $3)
		ON CONFLICT (email_hash) DO UPDATE SET failed_attempts = signin_failures.failed_attempts + 1, updated_at = $3
		WHERE signin_failures.failed_attempts < $2 RETURNING failed_attempts`, key, max, t.time(now)).Scan(&n)
	return n, t.err("reserve sign-in failure", err)
}

// ReleaseSignInFailure takes one count back.
func (t *Tx) ReleaseSignInFailure(ctx context.Context, key []byte) error {
	_, err := t.exec(ctx, "release sign-in failure", `UPDATE signin_failures SET failed_attempts = failed_attempts - 1
		WHERE email_hash = $1 AND failed_attempts > 0`, key)
	return err
}

// GetSetting reads one setting.
func (t *Tx) GetSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := t.c.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	return v, t.err("get setting", err)
}

// PutSetting writes one setting.
func (t *Tx) PutSetting(ctx context.Context, name, value string, now time.Time) error {
	_, err := t.exec(ctx, "put setting", `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = $2, updated_at = $3`, name, value, t.time(now))
	return err
}
