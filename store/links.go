package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ExternalIdentity is what a connection's IdP asserted about a person, after
// the protocol package verified the response.
type ExternalIdentity struct {
	// Subject is the IdP's stable id: the SAML NameID or the OIDC sub.
	Subject       string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
}

// MaxSubjectLength bounds a stored IdP subject.
const MaxSubjectLength = 512

// SSO sign-in refusals: each wraps ErrForbidden with a sentence for the person.
var (
	ErrSSONotProvisioned   = fmt.Errorf("%w: your account is not set up in this organization; ask your administrator to add you", ErrForbidden)
	ErrSSOEmailNotVerified = fmt.Errorf("%w: the identity provider did not confirm your email address, so it cannot be matched to an account", ErrForbidden)
	ErrSSOEmailDomain      = fmt.Errorf("%w: your email address is not in one of this organization's verified domains", ErrForbidden)
	ErrSSOLinkedElsewhere  = fmt.Errorf("%w: your account is already linked to another identity at this identity provider; ask your administrator", ErrForbidden)
)

// LinkSSOIdentity returns the account a verified SSO identity at connection
// signs in as. A linked (connection, subject) gives its account. The first
// time, the identity is linked by email only when the email is verified, its
// domain is one of the org's verified domains, and the account is already a
// member of the org. With jit (a per-connection switch), a person who is not
// a member yet is added as a user under the same conditions (rule 14: an
// existing account gets a membership). The account must be an enabled member
// of the connection's org; RecordSSOSignIn then activates it.
func (s *Store) LinkSSOIdentity(ctx context.Context, connectionID string, id ExternalIdentity, jit bool) (Account, error) {
	id.Subject = strings.TrimSpace(id.Subject)
	if id.Subject == "" || len(id.Subject) > MaxSubjectLength {
		return Account{}, invalid("subject", "the identity provider sent no usable subject")
	}
	var acc Account
	link := func(tx Tx, now time.Time) error {
		c, err := tx.GetConnectionByID(ctx, connectionID)
		if err != nil {
			return fmt.Errorf("connection: %w", err)
		}
		l, err := tx.GetIdentityLink(ctx, c.ID, id.Subject)
		switch {
		case err == nil:
			acc, err = tx.GetAccount(ctx, l.AccountID, LockNone)
			if err != nil {
				return err
			}
			return enabledMember(ctx, tx, c.OrgID, acc.ID)
		case !isNotFound(err):
			return err
		}
		acc, err = s.linkByEmail(ctx, tx, now, c, id, jit)
		return err
	}
	// Two first sign-ins of one person race on the unique keys (email,
	// membership, link): the loser runs again and finds the winner's rows. A
	// link conflict that stays is an account linked to another subject.
	err := s.write(ctx, link)
	if errors.Is(err, ErrConflict) {
		err = s.write(ctx, link)
	}
	var ce *ConflictError
	if errors.As(err, &ce) && ce.Field == "identity_link" {
		return Account{}, ErrSSOLinkedElsewhere
	}
	return acc, err
}

func (s *Store) linkByEmail(ctx context.Context, tx Tx, now time.Time, c Connection, id ExternalIdentity, jit bool) (Account, error) {
	if id.Email == "" || !id.EmailVerified {
		return Account{}, ErrSSOEmailNotVerified
	}
	email, err := NormalizeEmail(id.Email)
	if err != nil {
		return Account{}, err
	}
	org, err := tx.GetOrg(ctx, c.OrgID, LockShare)
	if err != nil {
		return Account{}, err
	}
	if !slices.Contains(org.Domains, strings.ToLower(EmailDomain(email))) {
		return Account{}, ErrSSOEmailDomain
	}
	actor := Actor{Kind: ActorSystem, Name: "sso:" + c.Name}
	acc, err := tx.AccountByEmail(ctx, email, LockUpdate)
	switch {
	case isNotFound(err) && jit:
		acc = Account{ID: newID(), Email: email, GivenName: strings.TrimSpace(id.GivenName), FamilyName: strings.TrimSpace(id.FamilyName), CreatedAt: now, UpdatedAt: now}
		if err := checkNames(acc.GivenName, acc.FamilyName); err != nil {
			acc.GivenName, acc.FamilyName = "", ""
		}
		if err := tx.InsertAccount(ctx, acc); err != nil {
			return Account{}, err
		}
	case isNotFound(err):
		return Account{}, ErrSSONotProvisioned
	case err != nil:
		return Account{}, err
	}
	m, err := tx.GetMembership(ctx, c.OrgID, acc.ID, LockNone)
	switch {
	case isNotFound(err) && jit:
		m = Membership{OrgID: c.OrgID, AccountID: acc.ID, UserType: UserTypeUser, Subscription: SubscriptionNone,
			ReportsRole: ReportsNoAccess, CreatedAt: now, UpdatedAt: now}
		if err := joinCompany(ctx, tx, now, actor, org, &acc); err != nil {
			return Account{}, err
		}
		if err := tx.InsertMembership(ctx, m); err != nil {
			return Account{}, err
		}
		if err := audit(ctx, tx, now, actor, c.OrgID, "member.create", "account", acc.ID, nil, memberView(Member{Account: acc, Membership: m})); err != nil {
			return Account{}, err
		}
	case isNotFound(err):
		return Account{}, ErrSSONotProvisioned
	case err != nil:
		return Account{}, err
	case m.Disabled:
		return Account{}, errMemberDisabled
	}
	l := IdentityLink{OrgID: c.OrgID, ConnectionID: c.ID, Subject: strings.TrimSpace(id.Subject), AccountID: acc.ID, CreatedAt: now}
	if err := tx.InsertIdentityLink(ctx, l); err != nil {
		return Account{}, err // a conflict: see LinkSSOIdentity
	}
	return acc, audit(ctx, tx, now, actor, c.OrgID, "account.sso_link", "account", acc.ID, nil,
		map[string]string{"connectionId": c.ID, "subject": l.Subject, "email": email})
}

var errMemberDisabled = ErrSSOMemberDisabled

// ErrSSOMemberDisabled refuses the sign-in of a member disabled in the org.
var ErrSSOMemberDisabled = fmt.Errorf("%w: this account is disabled in the organization", ErrForbidden)

func enabledMember(ctx context.Context, tx Tx, orgID, accountID string) error {
	m, err := tx.GetMembership(ctx, orgID, accountID, LockNone)
	if isNotFound(err) {
		return ErrSSONotProvisioned
	}
	if err != nil {
		return err
	}
	if m.Disabled {
		return errMemberDisabled
	}
	return nil
}

// IdentityLinks lists an account's SSO links in one org.
func (s *Store) IdentityLinks(ctx context.Context, orgID, accountID string) (ls []IdentityLink, err error) {
	err = s.read(ctx, func(tx Tx) error { ls, err = tx.ListIdentityLinks(ctx, orgID, accountID); return err })
	return ls, err
}
