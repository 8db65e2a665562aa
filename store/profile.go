package store

import (
	"context"
	"strings"
	"time"
)

// Changes of an account's shared profile: its sign-in email (rules 1 to 5)
// and its name (rule 8).

// ChangeEmail changes an account's sign-in email through one org (rules 1 to 5).
// Support may pass orgID "" and is exempt from rules 3 and 4, never from rule 1.
// The old address gets a notice and can no longer sign in; open reset links die.
func (s *Store) ChangeEmail(ctx context.Context, actor Actor, orgID, accountID, newEmail string) (Account, error) {
	email, err := NormalizeEmail(newEmail)
	if err != nil {
		return Account{}, err
	}
	var acc Account
	err = s.write(ctx, func(tx Tx, now time.Time) (err error) {
		acc, err = s.changeEmail(ctx, tx, now, actor, orgID, accountID, email)
		return err
	})
	return acc, err
}

// changeEmail is ChangeEmail inside tx, with email normalized.
func (s *Store) changeEmail(ctx context.Context, tx Tx, now time.Time, actor Actor, orgID, accountID, email string) (Account, error) {
	if orgID != "" || actor.Kind != ActorSupport {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return Account{}, err
		}
		if _, err := tx.GetMembership(ctx, orgID, accountID, LockNone); err != nil {
			return Account{}, err
		}
	}
	before, err := tx.GetAccount(ctx, accountID, LockUpdate)
	if err != nil {
		return Account{}, err
	}
	if before.Email == email {
		return before, nil
	}
	orgs, err := tx.AccountOrgs(ctx, accountID, LockShare)
	if err != nil {
		return Account{}, err
	}
	adminCompany := ""
	if actor.Kind == ActorAdmin {
		adminCompany = companyOf(orgs, actor.OrgID)
	}
	if err := CanChangeEmail(actor, orgs, adminCompany); err != nil {
		return Account{}, err
	}
	acc := before
	acc.Email, acc.UpdatedAt = email, now
	if acc.PasswordHash != "" && actor.Kind != ActorSupport {
		// The new address never proved the password: from now on it is
		// the changing company's word (docs/security-model.md).
		acc.PasswordCompanyID = companyOf(orgs, orgID)
	}
	if err := tx.UpdateAccount(ctx, acc); err != nil {
		return Account{}, err
	}
	// Every link mailed to the old address dies: reset and invitation alike.
	if err := tx.DeleteTokens(ctx, accountID, "", ""); err != nil {
		return Account{}, err
	}
	// The apps' tokens name the old address: every org's go (issue 11).
	if _, err := tx.DeleteGrantsOf(ctx, accountID, ""); err != nil {
		return Account{}, err
	}
	if !strings.EqualFold(before.Email, email) {
		sender := senderOrg(orgs, orgID)
		if err := tx.InsertOutbox(ctx, s.emailChangedMessage(now, sender, before.Email, email)); err != nil {
			return Account{}, err
		}
	}
	return acc, audit(ctx, tx, now, actor, orgID, "account.email_change", "account", accountID,
		map[string]string{"email": before.Email}, map[string]string{"email": email})
}

// senderOrg picks the org whose sender a notice about an account comes from.
func senderOrg(orgs []Org, orgID string) Org {
	for _, o := range orgs {
		if o.ID == orgID {
			return o
		}
	}
	if len(orgs) > 0 {
		return orgs[0]
	}
	return Org{}
}

// SetName changes the name of an account (rule 8). When the org's IdP sets it
// and the account also belongs to another company's org, only the org's view
// (the membership profile) may change, so the account's name stays and
// ErrRule is not returned: the caller keeps the IdP's name in the profile.
func (s *Store) SetName(ctx context.Context, actor Actor, accountID, given, family string) (Account, error) {
	given, family = strings.TrimSpace(given), strings.TrimSpace(family)
	if err := checkNames(given, family); err != nil {
		return Account{}, err
	}
	if err := CanEditName(actor, accountID); err != nil {
		return Account{}, err
	}
	var acc Account
	err := s.write(ctx, func(tx Tx, now time.Time) (err error) {
		acc, err = setName(ctx, tx, now, actor, accountID, given, family)
		return err
	})
	return acc, err
}

// setName is SetName inside tx, with the names checked.
func setName(ctx context.Context, tx Tx, now time.Time, actor Actor, accountID, given, family string) (Account, error) {
	before, err := tx.GetAccount(ctx, accountID, LockUpdate)
	if err != nil {
		return Account{}, err
	}
	if actor.Kind == ActorSCIM || actor.Kind == ActorAdmin {
		orgs, err := tx.AccountOrgs(ctx, accountID, LockNone)
		if err != nil {
			return Account{}, err
		}
		company := companyOf(orgs, actor.OrgID)
		if company == "" {
			return Account{}, ErrNotFound
		}
		for _, o := range orgs {
			if o.CompanyID != company {
				return before, nil // the profile is shared with another company: leave it
			}
		}
	}
	if before.GivenName == given && before.FamilyName == family {
		return before, nil
	}
	acc := before
	acc.GivenName, acc.FamilyName, acc.UpdatedAt = given, family, now
	if err := tx.UpdateAccount(ctx, acc); err != nil {
		return Account{}, err
	}
	return acc, audit(ctx, tx, now, actor, actor.OrgID, "account.name_change", "account", accountID,
		map[string]string{"givenName": before.GivenName, "familyName": before.FamilyName},
		map[string]string{"givenName": given, "familyName": family})
}
