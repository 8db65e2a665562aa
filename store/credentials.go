package store

import (
	"context"
	"time"
)

// Credentials across companies (docs/security-model.md). An account is global
// and may belong to orgs of several companies, so what one company's IdP or
// admin did to it must never open another company's org:
//
//   - a password records who vouches for it (Account.PasswordCompanyID): the
//     person, through a link mailed to the current address (""), or the
//     company whose IdP set it or whose IdP or admin changed the email under it;
//   - an IdP sets a password only on accounts whose every org is its
//     company's, and never for an address in another company's verified domain;
//   - an account that joins an org of another company than the one vouching
//     for its password loses that password (it then uses "Forgot password" or
//     its invitation, both mailed to the address);
//   - setting a password from a link, or changing it, ends the account's other
//     sessions and its outstanding reset links; an email change voids every
//     outstanding link sent to the old address.

// idpMayOwnPassword reports whether the IdP of company may set a password for
// email: not when the address is in a verified domain of another company's
// org (that company's people are not this IdP's to give passwords to).
func idpMayOwnPassword(ctx context.Context, tx Tx, company, email string) (bool, error) {
	o, err := tx.OrgByDomain(ctx, EmailDomain(email))
	switch {
	case isNotFound(err):
		return true, nil
	case err != nil:
		return false, err
	}
	return o.CompanyID == company, nil
}

// joinCompany is called inside tx before acc gains a membership in org: a
// password that another company vouches for is cleared (with its lockout
// state), so it never signs anyone in to org. acc is updated in place.
func joinCompany(ctx context.Context, tx Tx, now time.Time, actor Actor, org Org, acc *Account) error {
	if acc.PasswordHash == "" || acc.PasswordCompanyID == "" || acc.PasswordCompanyID == org.CompanyID {
		return nil
	}
	acc.PasswordHash, acc.PasswordCompanyID, acc.FailedAttempts, acc.LockedAt, acc.UpdatedAt = "", "", 0, nil, now
	if err := tx.UpdateAccount(ctx, *acc); err != nil {
		return err
	}
	return audit(ctx, tx, now, actor, org.ID, "account.password_cleared", "account", acc.ID, nil,
		map[string]string{"reason": "the password was set by another company; it never opens this organization"})
}

// endOtherSignIns ends every session of the account but keep (nil: all of
// them), revokes its apps' tokens and voids its outstanding reset links: after a password is set or
// changed, nothing issued before still signs in.
func endOtherSignIns(ctx context.Context, tx Tx, accountID string, keep []byte) error {
	if _, err := tx.DeleteSessions(ctx, accountID, "", keep); err != nil {
		return err
	}
	if _, err := tx.DeleteGrantsOf(ctx, accountID, ""); err != nil {
		return err
	}
	return tx.DeleteTokens(ctx, accountID, "", TokenReset)
}
