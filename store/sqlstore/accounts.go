package sqlstore

import (
	"context"

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
