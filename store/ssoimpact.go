package store

import (
	"context"
	"fmt"
)

// SSOImpact counts what turning SSO on or off changes for an org's members,
// for the console's confirmation pages.
type SSOImpact struct {
	// Members is every member of the org; Enabled those not disabled, who
	// sign in through the IdP while SSO is on.
	Members, Enabled int
	// Invited members have an invitation and are not activated yet: with SSO
	// on, no invitation is sent or resent (rule 9).
	Invited int
	// WithoutPassword members have no password: the day SSO is turned off
	// they sign in through "forgot password" (rule 11).
	WithoutPassword int
}

// ssoImpactReader is the backend query behind SSOImpact (package sqlstore).
type ssoImpactReader interface {
	SSOImpact(ctx context.Context, orgID string) (SSOImpact, error)
}

// SSOImpact returns the counts of SSOImpact for an org, in one statement.
func (s *Store) SSOImpact(ctx context.Context, orgID string) (out SSOImpact, err error) {
	err = s.readOne(ctx, func(tx Tx) error {
		r, ok := tx.(ssoImpactReader)
		if !ok {
			return fmt.Errorf("sso impact: the backend cannot count it")
		}
		out, err = r.SSOImpact(ctx, orgID)
		return err
	})
	return out, err
}
