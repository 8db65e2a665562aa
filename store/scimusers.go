package store

import (
	"context"
	"strings"
	"time"
)

func checkQuery(q *Query, groups bool) error {
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = min(max(q.Limit, 50), MaxPageSize)
	}
	q.Offset = max(q.Offset, 0)
	if err := CheckFilter(q.Filter, groups); err != nil {
		return err
	}
	if q.SortBy != nil {
		if err := CheckField(*q.SortBy, groups); err != nil {
			return err
		}
		if q.SortBy.Name == FieldMember {
			return invalid("sortBy", "cannot sort by members")
		}
	}
	return nil
}

// readSearch runs a search. A first page under a filter (a SCIM client's
// lookup, filter=userName eq ...) is tried as one statement: when the page is
// not full it gives the total, and no COUNT (nor transaction) is needed; a
// full page makes the search run again in a read-only transaction, so the
// page and its COUNT come from one snapshot.
func (s *Store) readSearch(ctx context.Context, q Query, fn func(tx Tx) error) error {
	if q.Offset == 0 && !q.CountOnly && q.Filter != nil {
		return s.readOne(ctx, fn)
	}
	return s.read(ctx, fn)
}

// SearchMembers returns one page of an org's members matching q (a SCIM
// filter, sort and page) and the total.
func (s *Store) SearchMembers(ctx context.Context, orgID string, q Query) (ms []Member, total int, err error) {
	if err := checkQuery(&q, false); err != nil {
		return nil, 0, err
	}
	err = s.readSearch(ctx, q, func(tx Tx) error {
		ms, total, err = tx.SearchMembers(ctx, orgID, q)
		return err
	})
	return ms, total, err
}

// SearchGroups returns one page of an org's groups matching q and the total.
func (s *Store) SearchGroups(ctx context.Context, orgID string, q Query) (gs []Group, total int, err error) {
	if err := checkQuery(&q, true); err != nil {
		return nil, 0, err
	}
	err = s.readSearch(ctx, q, func(tx Tx) error {
		gs, total, err = tx.SearchGroups(ctx, orgID, q)
		return err
	})
	return gs, total, err
}

// GroupsOfMember lists the groups of one member of an org.
func (s *Store) GroupsOfMember(ctx context.Context, orgID, accountID string) (gs []Group, err error) {
	err = s.read(ctx, func(tx Tx) error { gs, _, err = tx.GroupsOfMember(ctx, orgID, accountID); return err })
	return gs, err
}

// setPasswordFromIdP sets an account's password (hashed) as the org's IdP
// sent it (SCIM "password", Okta), inside tx. It does so only when the org
// does not sign in through SSO, every org of the account belongs to the
// IdP's company (an IdP never sets the password another company's people
// sign in with) and the email is not in another company's verified domain;
// otherwise it changes nothing. The IdP's company then vouches for the password. The
// password is never stored or logged in clear; the audit entry says only
// that it was set.
func setPasswordFromIdP(ctx context.Context, tx Tx, now time.Time, actor Actor, orgID, accountID, hash string) error {
	if err := authorize(ctx, tx, actor, orgID); err != nil {
		return err
	}
	if _, err := tx.GetMembership(ctx, orgID, accountID, LockNone); err != nil {
		return err
	}
	acc, err := tx.GetAccount(ctx, accountID, LockUpdate)
	if err != nil {
		return err
	}
	orgs, err := tx.AccountOrgs(ctx, accountID, LockShare)
	if err != nil {
		return err
	}
	company := companyOf(orgs, orgID)
	for _, o := range orgs {
		if o.CompanyID != company || (o.ID == orgID && o.SSOEnabled) {
			return nil
		}
	}
	if ok, err := idpMayOwnPassword(ctx, tx, company, acc.Email); err != nil || !ok {
		return err
	}
	acc.PasswordHash, acc.PasswordCompanyID, acc.UpdatedAt = hash, company, now
	if err := tx.UpdateAccount(ctx, acc); err != nil {
		return err
	}
	return audit(ctx, tx, now, actor, orgID, "account.password_set", "account", accountID, nil, nil)
}

// SCIMUserChange is what one SCIM PUT or PATCH of a user changes, applied in
// one transaction: all of it or nothing.
type SCIMUserChange struct {
	// Email is the new sign-in email (rules 1 to 5); "" or the same keeps it.
	Email string
	// Name, when set, is the new given and family name (rule 8).
	Name *[2]string
	// Member changes the membership: active, externalId, profile (rule 13).
	Member MemberUpdate
	// Password is a password the IdP sent, set only as setPasswordFromIdP
	// allows; it must pass CheckPassword.
	Password string
	// Precondition, when set, sees the member as it is inside the
	// transaction, its rows locked, before anything changes (an HTTP
	// If-Match); its error refuses the change and is returned as it is.
	Precondition func(Member) error
}

// UpdateSCIMUser applies one SCIM change of a member in one transaction.
func (s *Store) UpdateSCIMUser(ctx context.Context, actor Actor, orgID, accountID string, c SCIMUserChange) error {
	var email string
	if c.Email != "" {
		var err error
		if email, err = NormalizeEmail(c.Email); err != nil {
			return err
		}
	}
	var given, family string
	if c.Name != nil {
		given, family = strings.TrimSpace(c.Name[0]), strings.TrimSpace(c.Name[1])
		if err := checkNames(given, family); err != nil {
			return err
		}
		if err := CanEditName(actor, accountID); err != nil {
			return err
		}
	}
	var hash string
	if c.Password != "" {
		if err := CheckPassword(c.Password); err != nil {
			return err
		}
		var err error
		if hash, err = s.HashPassword(ctx, c.Password); err != nil {
			return err
		}
	}
	return s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorize(ctx, tx, actor, orgID); err != nil {
			return err
		}
		ms, err := tx.GetMembership(ctx, orgID, accountID, LockUpdate)
		if err != nil {
			return err
		}
		acc, err := tx.GetAccount(ctx, accountID, LockUpdate)
		if err != nil {
			return err
		}
		if c.Precondition != nil {
			if err := c.Precondition(Member{Account: acc, Membership: ms}); err != nil {
				return err
			}
		}
		if email != "" && !strings.EqualFold(email, acc.Email) { // as the IdP spells it: no change
			if _, err := s.changeEmail(ctx, tx, now, actor, orgID, accountID, email); err != nil {
				return err
			}
		}
		if c.Name != nil {
			if _, err := setName(ctx, tx, now, actor, accountID, given, family); err != nil {
				return err
			}
		}
		m := c.Member
		if m.MembershipChange != (MembershipChange{}) || m.ExternalID != nil || m.Profile != nil {
			if _, err := s.updateMember(ctx, tx, now, actor, orgID, accountID, m); err != nil {
				return err
			}
		}
		if hash != "" {
			if err := setPasswordFromIdP(ctx, tx, now, actor, orgID, accountID, hash); err != nil {
				return err
			}
		}
		return nil
	})
}
