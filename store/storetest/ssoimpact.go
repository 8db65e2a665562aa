package storetest

import "github.com/idbridge/idbridge/store"

func init() { parallelTests = append(parallelTests, ssoImpactTests...) }

var ssoImpactTests = []test{
	{name: "sso_impact_counts", fn: testSSOImpact},
}

// testSSOImpact: the counts of the SSO confirmation pages, one org at a time.
func testSSOImpact(e *env) {
	tn := e.tenant() // its admin: enabled, no password, not invited
	other := e.tenant()
	e.member(tn.ID, withPassword(password()))
	e.member(tn.ID, func(n *store.NewMember) { n.Invite = true })
	e.member(tn.ID, func(n *store.NewMember) { n.Disabled = true; n.Password = password() })
	e.member(other.ID, func(n *store.NewMember) { n.Invite = true })
	got := must(e.s.SSOImpact(e.ctx, tn.ID))(e)
	e.same("SSOImpact", got, store.SSOImpact{Members: 4, Enabled: 3, Invited: 1, WithoutPassword: 2})
	e.same("SSOImpact of an org without members", must(e.s.SSOImpact(e.ctx, e.org(e.company().ID).ID))(e), store.SSOImpact{})
}
