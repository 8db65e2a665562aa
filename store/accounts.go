package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// GetAccount returns an account by id (support and the person themself).
func (s *Store) GetAccount(ctx context.Context, id string) (a Account, err error) {
	err = s.read(ctx, func(tx Tx) error { a, err = tx.GetAccount(ctx, id, LockNone); return err })
	return a, err
}

// AccountByEmail returns an account by email, case-insensitively.
func (s *Store) AccountByEmail(ctx context.Context, email string) (a Account, err error) {
	err = s.read(ctx, func(tx Tx) error { a, err = tx.AccountByEmail(ctx, strings.TrimSpace(email), LockNone); return err })
	return a, err
}

// AccountOrgs lists the orgs an account belongs to.
func (s *Store) AccountOrgs(ctx context.Context, accountID string) (os []Org, err error) {
	err = s.read(ctx, func(tx Tx) error { os, err = tx.AccountOrgs(ctx, accountID, LockNone); return err })
	return os, err
}

// ErrBadCredentials is the one answer to a wrong email or password.
var ErrBadCredentials = fmt.Errorf("%w: wrong email or password", ErrUnauthenticated)

// PasswordSignIn checks an email and password (rules 10 and 11). orgID, when
// set, is the org the person signs in to; the account must be an enabled member.
//
// Each attempt is counted before its password is hashed, in a transaction
// that locks the account's row: at most MaxFailedAttempts wrong passwords in a
// row are ever checked, however many arrive at once; the one counted fifth
// locks the account, and every later attempt, right password included, gets
// the lockout answer at once. An email without an account is counted the same
// way, so until a password is proven the answers (wrong password, lockout)
// do not tell whether an account exists; what only its owner may learn (the
// org signs in through SSO) is said after the password is proven. An account
// without a password answers as a wrong password.
func (s *Store) PasswordSignIn(ctx context.Context, orgID, email, password string) (Account, error) {
	email = strings.TrimSpace(email)
	key := signInFailureKey(email)
	var acc Account
	var known bool
	var attempt int // this attempt's number among the failures in a row; 0: refused
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		acc, known, attempt = Account{}, false, 0
		a, err := tx.AccountByEmail(ctx, email, LockUpdate)
		if isNotFound(err) {
			attempt, err = tx.ReserveSignInFailure(ctx, key, MaxFailedAttempts, now)
			if isNotFound(err) { // MaxFailedAttempts already counted
				return nil
			}
			return err
		}
		if err != nil {
			return err
		}
		acc, known = a, true
		if a.LockedAt != nil || a.FailedAttempts >= MaxFailedAttempts {
			return nil
		}
		a.FailedAttempts++
		attempt = a.FailedAttempts
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		return Account{}, err
	}
	if attempt == 0 {
		return Account{}, errLockedOut
	}
	// No account or no password (""): the same work, never a match.
	ok, err := s.VerifyPassword(ctx, acc.PasswordHash, password)
	if err != nil {
		// Not checked (busy, or the client left): not counted.
		s.releaseSignInAttempt(ctx, known, acc.ID, key)
		return Account{}, err
	}
	ok = ok && known
	if !ok && attempt < MaxFailedAttempts {
		return Account{}, ErrBadCredentials
	}
	if !known {
		return Account{}, errLockedOut
	}
	var result error
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		result = nil
		a, err := tx.GetAccount(ctx, acc.ID, LockUpdate)
		if err != nil {
			return err
		}
		ok := ok && a.PasswordHash == acc.PasswordHash // not changed while we hashed
		if ok && a.LockedAt != nil {                   // locked by the attempts counted after this one
			result = errLockedOut
			return nil
		}
		var orgs []Org
		if ok {
			if orgs, err = tx.AccountOrgs(ctx, a.ID, LockNone); err != nil {
				return err
			}
		}
		if ok && orgID != "" {
			ok, orgs = false, orgOf(orgs, orgID)
			if len(orgs) == 1 {
				m, err := tx.GetMembership(ctx, orgID, a.ID, LockNone)
				ok = err == nil && !m.Disabled
			}
		}
		if !ok {
			result = ErrBadCredentials
			if a.FailedAttempts < MaxFailedAttempts || a.LockedAt != nil {
				return nil // a success meanwhile started the count again
			}
			a.LockedAt, a.UpdatedAt = &now, now
			// The attempt that locks already tells the person how to get back in.
			result = errLockedOut
			if err := audit(ctx, tx, now, SystemActor, "", "account.lock", "account", a.ID, nil, map[string]int{"failedAttempts": a.FailedAttempts}); err != nil {
				return err
			}
			return tx.UpdateAccount(ctx, a)
		}
		a.FailedAttempts = 0 // the password is proven
		if result = CanSignInWithPassword(a, orgs); result != nil {
			return tx.UpdateAccount(ctx, a)
		}
		a.UpdatedAt = now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		acc = a
		if orgID == "" {
			return nil
		}
		return recordSignIn(ctx, tx, SignIn{AccountID: a.ID, OrgID: orgID, Method: "password", At: now})
	})
	if err != nil {
		return Account{}, err
	}
	if result != nil {
		return Account{}, result
	}
	return acc, nil
}

// errLockedOut is rule 10's answer to a locked account, and to an email
// without an account after as many failures.
var errLockedOut = CanSignInWithPassword(Account{LockedAt: new(time.Time)}, nil)

// signInFailureKey is what counts the failures of an email without an account.
func signInFailureKey(email string) []byte { return HashSecret(strings.ToLower(email)) }

// orgOf is the org of orgs with id orgID, as a list of one, or none.
func orgOf(orgs []Org, orgID string) []Org {
	for _, o := range orgs {
		if o.ID == orgID {
			return []Org{o}
		}
	}
	return nil
}

// releaseSignInAttempt takes back the count of an attempt whose password was
// never checked, even when its client has left.
func (s *Store) releaseSignInAttempt(ctx context.Context, known bool, accountID string, key []byte) {
	ctx = context.WithoutCancel(ctx)
	_ = s.write(ctx, func(tx Tx, now time.Time) error {
		if !known {
			return tx.ReleaseSignInFailure(ctx, key)
		}
		a, err := tx.GetAccount(ctx, accountID, LockUpdate)
		if err != nil || a.LockedAt != nil || a.FailedAttempts == 0 {
			return err
		}
		a.FailedAttempts--
		return tx.UpdateAccount(ctx, a)
	})
}

// ChangePassword sets a new password after checking the current one; the new
// one is given twice (rule 10). Every other session of the account ends (keep
// is the hash of the session making the change) and outstanding reset links
// die. Whoever vouched for the old password vouches for the new one: knowing
// a password is no proof of owning the mailbox.
func (s *Store) ChangePassword(ctx context.Context, accountID string, keep []byte, current, newPassword, confirm string) error {
	if newPassword != confirm {
		return invalid("password", "the two new passwords are not the same")
	}
	if err := CheckPassword(newPassword); err != nil {
		return err
	}
	acc, err := s.GetAccount(ctx, accountID)
	if err != nil {
		return err
	}
	ok, err := s.VerifyPassword(ctx, acc.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: the current password is wrong", ErrUnauthenticated)
	}
	hash, err := s.HashPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx Tx, now time.Time) error {
		a, err := tx.GetAccount(ctx, accountID, LockUpdate)
		if err != nil {
			return err
		}
		if a.PasswordHash != acc.PasswordHash {
			return fmt.Errorf("%w: the password was changed meanwhile; try again", ErrConflict)
		}
		a.PasswordHash, a.UpdatedAt = hash, now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		if err := endOtherSignIns(ctx, tx, accountID, keep); err != nil {
			return err
		}
		return audit(ctx, tx, now, SelfActor(accountID), "", "account.password_change", "account", accountID, nil, nil)
	})
}

// RequestPasswordReset emails a reset link when the address has an account.
// It answers nil either way, so it does not tell which addresses exist.
// orgID, when set, picks the org whose sender the email comes from.
func (s *Store) RequestPasswordReset(ctx context.Context, orgID, email string) error {
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		acc, err := tx.AccountByEmail(ctx, strings.TrimSpace(email), LockUpdate)
		if err != nil {
			return err
		}
		orgs, err := tx.AccountOrgs(ctx, acc.ID, LockNone)
		if err != nil {
			return err
		}
		if err := tx.DeleteTokens(ctx, acc.ID, "", TokenReset); err != nil {
			return err
		}
		secret, hash, err := NewSecret("rst_")
		if err != nil {
			return err
		}
		org := senderOrg(orgs, orgID)
		t := OneTimeToken{Hash: hash, Kind: TokenReset, AccountID: acc.ID, OrgID: org.ID, CreatedAt: now, ExpiresAt: now.Add(s.opt.ResetTTL)}
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		if err := tx.InsertOutbox(ctx, s.resetMessage(now, org, acc, secret)); err != nil {
			return err
		}
		return audit(ctx, tx, now, SystemActor, org.ID, "account.reset_request", "account", acc.ID, nil, nil)
	})
	if isNotFound(err) {
		return nil
	}
	return err
}

// ResetPassword sets a password from a reset link: the link is used up, the
// account unlocked and activated (rule 10).
func (s *Store) ResetPassword(ctx context.Context, secret, newPassword, confirm string) (Account, error) {
	return s.usePasswordLink(ctx, TokenReset, secret, newPassword, confirm)
}

// AcceptInvitation sets a password from an invitation link and activates the account.
func (s *Store) AcceptInvitation(ctx context.Context, secret, newPassword, confirm string) (Account, error) {
	return s.usePasswordLink(ctx, TokenInvitation, secret, newPassword, confirm)
}

// ErrLinkInvalid is the answer to an unknown, used or expired link.
var ErrLinkInvalid = fmt.Errorf("%w: this link is invalid, already used or expired; ask for a new one", ErrUnauthenticated)

func (s *Store) usePasswordLink(ctx context.Context, kind TokenKind, secret, newPassword, confirm string) (Account, error) {
	if newPassword != confirm {
		return Account{}, invalid("password", "the two passwords are not the same")
	}
	if err := CheckPassword(newPassword); err != nil {
		return Account{}, err
	}
	hash, err := s.HashPassword(ctx, newPassword)
	if err != nil {
		return Account{}, err
	}
	var acc Account
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		t, err := tx.ConsumeToken(ctx, HashSecret(secret), kind, now)
		if err != nil {
			return err
		}
		if acc, err = tx.GetAccount(ctx, t.AccountID, LockUpdate); err != nil {
			return err
		}
		if kind == TokenInvitation {
			if m, err := tx.GetMembership(ctx, t.OrgID, t.AccountID, LockNone); err != nil || m.Disabled {
				return ErrNotFound
			}
		}
		// The link reached the current address: the person vouches for the password.
		acc.PasswordHash, acc.PasswordCompanyID, acc.FailedAttempts, acc.LockedAt, acc.UpdatedAt = hash, "", 0, nil, now
		if acc.ActivatedAt == nil {
			acc.ActivatedAt = &now
		}
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		// A new password ends every sign-in made before it, and every other link.
		if err := endOtherSignIns(ctx, tx, acc.ID, nil); err != nil {
			return err
		}
		return audit(ctx, tx, now, SelfActor(acc.ID), t.OrgID, "account."+string(kind)+"_used", "account", acc.ID, nil, map[string]any{"activatedAt": acc.ActivatedAt})
	})
	if isNotFound(err) {
		return Account{}, ErrLinkInvalid
	}
	return acc, err
}

// UnlockAccount clears the lockout of rule 10 (support only).
func (s *Store) UnlockAccount(ctx context.Context, actor Actor, accountID string) (Account, error) {
	if err := requireSupport(actor); err != nil {
		return Account{}, err
	}
	var acc Account
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		before, err := tx.GetAccount(ctx, accountID, LockUpdate)
		if err != nil {
			return err
		}
		acc = before
		acc.FailedAttempts, acc.LockedAt, acc.UpdatedAt = 0, nil, now
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "account.unlock", "account", accountID,
			map[string]any{"lockedAt": before.LockedAt, "failedAttempts": before.FailedAttempts}, nil)
	})
	return acc, err
}

// RecordSSOSignIn activates the account on its first SSO sign-in and records it.
func (s *Store) RecordSSOSignIn(ctx context.Context, orgID, accountID, connectionID string) (Account, error) {
	var acc Account
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		m, err := tx.GetMembership(ctx, orgID, accountID, LockNone)
		if err != nil {
			return err
		}
		if m.Disabled {
			return fmt.Errorf("%w: this account is disabled in the organization", ErrForbidden)
		}
		if acc, err = tx.GetAccount(ctx, accountID, LockUpdate); err != nil {
			return err
		}
		if acc.ActivatedAt == nil {
			acc.ActivatedAt, acc.UpdatedAt = &now, now
			if err := tx.UpdateAccount(ctx, acc); err != nil {
				return err
			}
		}
		return recordSignIn(ctx, tx, SignIn{AccountID: accountID, OrgID: orgID, Method: "sso", ConnectionID: connectionID, At: now})
	})
	return acc, err
}
