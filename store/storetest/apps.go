package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/idbridge/idbridge/store"
)

var appTests = []test{
	{name: "app_crud", fn: testAppCRUD},
	{name: "app_refused_input", fn: testAppRefused},
	{name: "oauth_code_single_use", fn: testAuthCodeSingleUse},
	{name: "oauth_refresh_rotation", fn: testRefreshRotation},
	{name: "oauth_refresh_reuse_grace", fn: testRefreshReuseGrace},
	{name: "oauth_lifetimes", fn: testOAuthLifetimes},
	{name: "oauth_app_org_restriction", fn: testAppOrgRestriction},
	{name: "oauth_revoked_with_membership", fn: testGrantsEndWithMembership},
	{name: "oauth_revoked_on_password_change", fn: testGrantsEndOnPassword},
	{name: "oauth_revoked_on_email_change", fn: testGrantsEndOnEmailChange},
	{name: "oauth_revoked_on_sso_switch", fn: testGrantsEndOnSSOSwitch},
	{name: "oauth_revocation", fn: testOAuthRevocation},
}

var appSerialTests = []test{{name: "oauth_purge", fn: testPurgeOAuth}, {name: "oauth_signing_keys", fn: testSigningKeys}}

var testLimits = store.OAuthLimits{Access: 10 * time.Minute, RefreshIdle: time.Hour, RefreshAbsolute: 5 * time.Hour}

func (e *env) app(orgIDs ...string) store.App {
	e.Helper()
	a, _ := must3(e.s.CreateApp(e.ctx, support, store.NewApp{Name: "App " + rnd(),
		RedirectURIs: []string{"https://app.example.com/cb"}, OrgIDs: orgIDs}))(e)
	return a
}

// grant issues tokens for m in tn through app a, as a code exchange does.
func (e *env) grant(a store.App, orgID, accountID string, refresh bool) store.Issued {
	e.Helper()
	return must(e.s.IssueTokens(e.ctx, store.Grant{AppID: a.ID, AccountID: accountID, OrgID: orgID, SessionID: "sid-" + rnd(),
		Scopes: []string{"openid", "offline_access"}, AMR: []string{"pwd"}, AuthTime: e.clock.Now()}, testLimits, refresh))(e)
}

func testAppCRUD(e *env) {
	tn := e.tenant()
	a, secret := must3(e.s.CreateApp(e.ctx, support, store.NewApp{Name: "  Reports ",
		RedirectURIs:           []string{"https://reports.example.com/cb", "http://localhost:8080/cb", "https://reports.example.com/cb"},
		PostLogoutRedirectURIs: []string{"https://reports.example.com/"}, OrgIDs: []string{tn.ID}}))(e)
	if a.Name != "Reports" || a.Public() || secret == "" || len(a.RedirectURIs) != 2 || !a.AllowsOrg(tn.ID) || a.AllowsOrg(e.tenant().ID) {
		e.Errorf("CreateApp = %+v, secret %q", a, secret)
	}
	e.same("GetApp", must(e.s.GetApp(e.ctx, a.ID))(e), a)
	must(e.s.CheckAppSecret(e.ctx, a.ID, secret))(e)
	_, err := e.s.CheckAppSecret(e.ctx, a.ID, secret+"x")
	e.wantIs(err, store.ErrAppSecret, "a wrong secret")

	pub, none := must3(e.s.CreateApp(e.ctx, support, store.NewApp{Name: "SPA", Public: true, RedirectURIs: []string{"https://spa.example.com/cb"}}))(e)
	if !pub.Public() || none != "" || !pub.AllowsOrg(tn.ID) {
		e.Errorf("public app = %+v, secret %q", pub, none)
	}
	_, err = e.s.CheckAppSecret(e.ctx, pub.ID, "")
	e.wantIs(err, store.ErrAppSecret, "a public app has no secret")
	_, err = e.s.RotateAppSecret(e.ctx, support, pub.ID)
	e.wantInvalid(err, "rotating a public app's secret")

	rotated := must(e.s.RotateAppSecret(e.ctx, support, a.ID))(e)
	_, err = e.s.CheckAppSecret(e.ctx, a.ID, secret)
	e.wantIs(err, store.ErrAppSecret, "the secret before the rotation")
	must(e.s.CheckAppSecret(e.ctx, a.ID, rotated))(e)

	found := 0
	for _, x := range must(e.s.ListApps(e.ctx))(e) {
		if x.ID == a.ID || x.ID == pub.ID {
			found++
		}
	}
	if found != 2 {
		e.Errorf("ListApps found %d of 2", found)
	}
	e.ok(e.s.DeleteApp(e.ctx, support, a.ID), "DeleteApp")
	_, err = e.s.GetApp(e.ctx, a.ID)
	e.wantNotFound(err, "a deleted app")
	e.wantNotFound(e.s.DeleteApp(e.ctx, support, a.ID), "deleting twice")
	if n := len(e.auditWhere(func(x store.AuditEntry) bool { return x.TargetID == a.ID })); n != 3 {
		e.Errorf("audit entries of the app = %d, want 3 (create, rotate, delete)", n)
	}
}

func testAppRefused(e *env) {
	tn := e.tenant()
	ok := store.NewApp{Name: "x", RedirectURIs: []string{"https://a.example.com/cb"}}
	for what, in := range map[string]store.NewApp{
		"no name":          {RedirectURIs: ok.RedirectURIs},
		"no redirect":      {Name: "x"},
		"relative":         {Name: "x", RedirectURIs: []string{"/cb"}},
		"fragment":         {Name: "x", RedirectURIs: []string{"https://a.example.com/cb#x"}},
		"http not local":   {Name: "x", RedirectURIs: []string{"http://a.example.com/cb"}},
		"custom scheme":    {Name: "x", RedirectURIs: []string{"javascript:alert(1)"}},
		"bad logout":       {Name: "x", RedirectURIs: ok.RedirectURIs, PostLogoutRedirectURIs: []string{"ftp://a.example.com/"}},
		"unknown org":      {Name: "x", RedirectURIs: ok.RedirectURIs, OrgIDs: []string{"00000000-0000-0000-0000-000000000001"}},
		"malformed org id": {Name: "x", RedirectURIs: ok.RedirectURIs, OrgIDs: []string{"acme"}},
	} {
		_, _, err := e.s.CreateApp(e.ctx, support, in)
		e.wantInvalid(err, what)
	}
	_, _, err := e.s.CreateApp(e.ctx, tn.Actor, ok)
	e.wantIs(err, store.ErrForbidden, "an org admin registering an app")
}

// authCode saves an authorization request with a code and returns both.
func (e *env) authCode(a store.App) (store.AuthRequest, string) {
	e.Helper()
	r := must(e.s.SaveAuthRequest(e.ctx, a.ID, json.RawMessage(`{"nonce":"n"}`), 10*time.Minute))(e)
	code := "code-" + rnd()
	e.ok(e.s.UpdateAuthRequest(e.ctx, r.ID, json.RawMessage(`{"nonce":"n","done":true}`), code, time.Minute), "UpdateAuthRequest")
	return r, code
}

func testAuthCodeSingleUse(e *env) {
	tn := e.tenant()
	a := e.app()
	r, code := e.authCode(a)
	got := must(e.s.GetAuthRequest(e.ctx, r.ID))(e)
	if !sameDoc(got.Data, json.RawMessage(`{"nonce":"n","done":true}`)) {
		e.Errorf("Data = %s", got.Data)
	}
	used := must(e.s.UseAuthCode(e.ctx, code))(e)
	if used.ID != r.ID || used.AppID != a.ID {
		e.Errorf("UseAuthCode = %+v", used)
	}
	g := must(e.s.IssueTokens(e.ctx, store.Grant{AppID: a.ID, AccountID: tn.Admin.Account.ID, OrgID: tn.ID, AuthRequestID: r.ID,
		SessionID: "s", Scopes: []string{"openid"}, AMR: []string{"pwd"}, AuthTime: e.clock.Now()}, testLimits, true))(e)
	_, err := e.s.UseAuthCode(e.ctx, code)
	e.wantIs(err, store.ErrCodeUsed, "a code used twice")
	_, err = e.s.AccessGrant(e.ctx, g.AccessID)
	e.wantIs(err, store.ErrTokenInvalid, "the access token of a code used twice")
	_, err = e.s.RefreshGrant(e.ctx, g.Refresh, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "the refresh token of a code used twice")
	_, err = e.s.UseAuthCode(e.ctx, "code-unknown")
	e.wantIs(err, store.ErrTokenInvalid, "an unknown code")

	// A code lives a minute, its request ten.
	_, late := e.authCode(a)
	e.clock.Advance(time.Minute)
	_, err = e.s.UseAuthCode(e.ctx, late)
	e.wantIs(err, store.ErrTokenInvalid, "an expired code")
	e.wantNotFound(e.s.UpdateAuthRequest(e.ctx, r.ID, json.RawMessage(`{}`), "again", time.Minute), "a new code on a used request")

	// Concurrent redemptions: exactly one wins.
	_, code2 := e.authCode(a)
	errs := race(func() error { _, err := e.s.UseAuthCode(e.ctx, code2); return err },
		func() error { _, err := e.s.UseAuthCode(e.ctx, code2); return err })
	if (errs[0] == nil) == (errs[1] == nil) {
		e.Errorf("concurrent UseAuthCode = %v, want one success", errs)
	}
}

func testRefreshRotation(e *env) {
	tn := e.tenant()
	a := e.app()
	first := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	if first.Refresh == "" || first.AccessID == "" {
		e.Fatalf("IssueTokens = %+v", first)
	}
	g := must(e.s.AccessGrant(e.ctx, first.AccessID))(e)
	if g.AccountID != tn.Admin.Account.ID || g.OrgID != tn.ID || g.AppID != a.ID || len(g.Scopes) != 2 || g.AMR[0] != "pwd" {
		e.Errorf("AccessGrant = %+v", g)
	}
	must(e.s.RefreshGrant(e.ctx, first.Refresh, testLimits))(e)
	second := must(e.s.RotateRefreshToken(e.ctx, first.Refresh, []string{"openid"}, testLimits))(e)
	if second.Refresh == first.Refresh || second.Grant.ID != first.Grant.ID || len(second.Grant.Scopes) != 1 {
		e.Errorf("rotation = %+v", second)
	}
	third := must(e.s.RotateRefreshToken(e.ctx, second.Refresh, nil, testLimits))(e)
	// The first token comes back: the whole family goes.
	_, err := e.s.RotateRefreshToken(e.ctx, first.Refresh, nil, testLimits)
	e.wantIs(err, store.ErrRefreshReused, "a rotated refresh token used again")
	_, err = e.s.RotateRefreshToken(e.ctx, third.Refresh, nil, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "the family's newest refresh token after a reuse")
	_, err = e.s.AccessGrant(e.ctx, third.AccessID)
	e.wantIs(err, store.ErrTokenInvalid, "the family's access token after a reuse")

	// RefreshGrant (the read before the rotation) detects a reuse too.
	other := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	next := must(e.s.RotateRefreshToken(e.ctx, other.Refresh, nil, testLimits))(e)
	_, err = e.s.RefreshGrant(e.ctx, other.Refresh, testLimits)
	e.wantIs(err, store.ErrRefreshReused, "RefreshGrant of a used token")
	_, err = e.s.RefreshGrant(e.ctx, next.Refresh, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "the family after RefreshGrant saw a reuse")

	// An access token is no refresh token, and the other way round.
	live := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	_, err = e.s.AccessGrant(e.ctx, live.Grant.ID)
	e.wantIs(err, store.ErrTokenInvalid, "a grant id as access token")
	if ok := must(e.s.IsRefreshToken(e.ctx, live.Refresh))(e); !ok {
		e.Errorf("IsRefreshToken(refresh) = false")
	}
	if ok := must(e.s.IsRefreshToken(e.ctx, live.AccessID))(e); ok {
		e.Errorf("IsRefreshToken(access id) = true")
	}
	noRefresh := e.grant(a, tn.ID, tn.Admin.Account.ID, false)
	if noRefresh.Refresh != "" {
		e.Errorf("a grant without offline access got a refresh token")
	}

	// Concurrent rotations of one token: one wins, the family is revoked.
	racer := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	errs := race(func() error { _, err := e.s.RotateRefreshToken(e.ctx, racer.Refresh, nil, testLimits); return err },
		func() error { _, err := e.s.RotateRefreshToken(e.ctx, racer.Refresh, nil, testLimits); return err })
	if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], store.ErrRefreshReused) || errors.Is(errs[1], store.ErrRefreshReused)) {
		e.Errorf("concurrent rotations = %v, want one success and one reuse", errs)
	}
}

// testRefreshReuseGrace: a refresh token used again within the grace gets
// the same successor; after the grace, or once the successor was used, the
// reuse revokes the family.
func testRefreshReuseGrace(e *env) {
	tn := e.tenant()
	a := e.app()
	lim := testLimits
	lim.ReuseGrace = 5 * time.Second
	first := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	second := must(e.s.RotateRefreshToken(e.ctx, first.Refresh, nil, lim))(e)
	e.clock.Advance(4 * time.Second)
	must(e.s.RefreshGrant(e.ctx, first.Refresh, lim))(e)
	retry := must(e.s.RotateRefreshToken(e.ctx, first.Refresh, nil, lim))(e)
	if retry.Refresh != second.Refresh || retry.Grant.ID != second.Grant.ID {
		e.Errorf("retry within the grace: refresh %q, want the same successor %q", retry.Refresh, second.Refresh)
	}
	must(e.s.AccessGrant(e.ctx, retry.AccessID))(e)
	// The successor is used: the old token is no retry any more.
	third := must(e.s.RotateRefreshToken(e.ctx, second.Refresh, nil, lim))(e)
	_, err := e.s.RotateRefreshToken(e.ctx, first.Refresh, nil, lim)
	e.wantIs(err, store.ErrRefreshReused, "the first token after its successor was used")
	_, err = e.s.RefreshGrant(e.ctx, third.Refresh, lim)
	e.wantIs(err, store.ErrTokenInvalid, "the family after a reuse")

	// After the grace, the same retry revokes the family.
	late := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	next := must(e.s.RotateRefreshToken(e.ctx, late.Refresh, nil, lim))(e)
	e.clock.Advance(lim.ReuseGrace)
	_, err = e.s.RefreshGrant(e.ctx, late.Refresh, lim)
	e.wantIs(err, store.ErrRefreshReused, "RefreshGrant of a token used 5 s ago")
	_, err = e.s.RotateRefreshToken(e.ctx, next.Refresh, nil, lim)
	e.wantIs(err, store.ErrTokenInvalid, "the family after a late reuse")

	// Two concurrent rotations within the grace both get the one successor.
	racer := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	var outs [2]store.Issued
	errs := race(func() (err error) { outs[0], err = e.s.RotateRefreshToken(e.ctx, racer.Refresh, nil, lim); return err },
		func() (err error) { outs[1], err = e.s.RotateRefreshToken(e.ctx, racer.Refresh, nil, lim); return err })
	if errs[0] != nil || errs[1] != nil || outs[0].Refresh != outs[1].Refresh {
		e.Errorf("concurrent rotations within the grace = %v, want both the same successor", errs)
	}
}

func testOAuthLifetimes(e *env) {
	tn := e.tenant()
	a := e.app()
	g := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	e.clock.Advance(testLimits.Access)
	_, err := e.s.AccessGrant(e.ctx, g.AccessID)
	e.wantIs(err, store.ErrTokenInvalid, "an expired access token")
	// Used within the idle time, the family lives on up to the absolute end.
	rt := e.grant(a, tn.ID, tn.Admin.Account.ID, true).Refresh
	for range 5 { // to 4h55m after the sign-in, 59 minutes apart
		e.clock.Advance(testLimits.RefreshIdle - time.Minute)
		rt = must(e.s.RotateRefreshToken(e.ctx, rt, nil, testLimits))(e).Refresh
	}
	e.clock.Advance(6 * time.Minute) // used 6 minutes ago, but 5h01m after the sign-in
	_, err = e.s.RotateRefreshToken(e.ctx, rt, nil, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "a refresh token past the absolute lifetime")

	idle := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	e.clock.Advance(testLimits.RefreshIdle)
	_, err = e.s.RefreshGrant(e.ctx, idle.Refresh, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "RefreshGrant of an idle refresh token")
	_, err = e.s.RotateRefreshToken(e.ctx, idle.Refresh, nil, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "an idle refresh token")
}

// testPurgeOAuth runs alone: the purge is service-wide.
func testPurgeOAuth(e *env) {
	tn := e.tenant()
	a := e.app()
	old := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	_, code := e.authCode(a)
	e.clock.Advance(testLimits.RefreshAbsolute + time.Second) // past the grant's end (the purge takes what ended before now)
	live := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	if n := must(e.s.PurgeOAuth(e.ctx))(e); n < 4 { // the request, the grant and its two tokens
		e.Errorf("PurgeOAuth = %d, want at least 4", n)
	}
	if ok := must(e.s.IsRefreshToken(e.ctx, old.Refresh))(e); ok {
		e.Errorf("an expired refresh token outlived the purge")
	}
	_, err := e.s.UseAuthCode(e.ctx, code)
	e.wantIs(err, store.ErrTokenInvalid, "a purged code")
	must(e.s.RefreshGrant(e.ctx, live.Refresh, testLimits))(e)
}

func testAppOrgRestriction(e *env) {
	tn, other := e.tenant(), e.tenant()
	a := e.app(tn.ID)
	_, err := e.s.IssueTokens(e.ctx, store.Grant{AppID: a.ID, AccountID: other.Admin.Account.ID, OrgID: other.ID,
		SessionID: "s", Scopes: []string{"openid"}, AMR: []string{"pwd"}, AuthTime: e.clock.Now()}, testLimits, true)
	e.wantIs(err, store.ErrForbidden, "an app limited to another org")
	_, err = e.s.IssueTokens(e.ctx, store.Grant{AppID: a.ID, AccountID: other.Admin.Account.ID, OrgID: tn.ID,
		SessionID: "s", Scopes: []string{"openid"}, AMR: []string{"pwd"}, AuthTime: e.clock.Now()}, testLimits, true)
	e.wantIs(err, store.ErrForbidden, "a person who is no member of the org")
	e.grant(a, tn.ID, tn.Admin.Account.ID, true)
}

// twoOrgGrants makes a person a member of two orgs of one company and
// signs them in to an app in each.
func (e *env) twoOrgGrants() (tn, second tenant, a store.App, m store.Member, here, there store.Issued) {
	e.Helper()
	tn = e.tenant()
	second = e.tenantIn(tn.CompanyID)
	a = e.app()
	m = e.member(tn.ID)
	e.member(second.ID, withEmail(m.Account.Email))
	return tn, second, a, m, e.grant(a, tn.ID, m.Account.ID, true), e.grant(a, second.ID, m.Account.ID, true)
}

func testGrantsEndWithMembership(e *env) {
	tn, second, a, m, here, there := e.twoOrgGrants()

	must(e.s.UpdateMember(e.ctx, tn.Actor, tn.ID, m.Account.ID, store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: new(true)}}))(e)
	_, err := e.s.RotateRefreshToken(e.ctx, here.Refresh, nil, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "a disabled member's refresh token")
	_, err = e.s.AccessGrant(e.ctx, here.AccessID)
	e.wantIs(err, store.ErrTokenInvalid, "a disabled member's access token")
	_, err = e.s.IssueTokens(e.ctx, store.Grant{AppID: a.ID, AccountID: m.Account.ID, OrgID: tn.ID, SessionID: "s",
		Scopes: []string{"openid"}, AMR: []string{"pwd"}, AuthTime: e.clock.Now()}, testLimits, false)
	e.wantIs(err, store.ErrForbidden, "tokens for a disabled member")
	// The other org's tokens stay.
	there = must(e.s.RotateRefreshToken(e.ctx, there.Refresh, nil, testLimits))(e)

	e.ok(e.s.RemoveMember(e.ctx, second.Actor, second.ID, m.Account.ID), "RemoveMember")
	_, err = e.s.RotateRefreshToken(e.ctx, there.Refresh, nil, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "a removed member's refresh token")
}

func testGrantsEndOnPassword(e *env) {
	tn := e.tenant()
	a := e.app()
	pw := password()
	m := e.member(tn.ID, withPassword(pw))
	g := e.grant(a, tn.ID, m.Account.ID, true)
	newPW := password()
	e.ok(e.s.ChangePassword(e.ctx, m.Account.ID, nil, pw, newPW, newPW), "ChangePassword")
	_, err := e.s.RefreshGrant(e.ctx, g.Refresh, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "a refresh token after a password change")
	_, err = e.s.AccessGrant(e.ctx, g.AccessID)
	e.wantIs(err, store.ErrTokenInvalid, "an access token after a password change")
}

// testGrantsEndOnEmailChange: the tokens of every org of a person go with
// the email change, another person's stay.
func testGrantsEndOnEmailChange(e *env) {
	tn, _, a, m, here, there := e.twoOrgGrants()
	bystander := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	must(e.s.ChangeEmail(e.ctx, tn.Actor, tn.ID, m.Account.ID, email("moved")))(e)
	for what, g := range map[string]store.Issued{"the changing org's": here, "another org's": there} {
		_, err := e.s.RefreshGrant(e.ctx, g.Refresh, testLimits)
		e.wantIs(err, store.ErrTokenInvalid, what+" refresh token after an email change")
		_, err = e.s.AccessGrant(e.ctx, g.AccessID)
		e.wantIs(err, store.ErrTokenInvalid, what+" access token after an email change")
	}
	must(e.s.RefreshGrant(e.ctx, bystander.Refresh, testLimits))(e)
}

// testGrantsEndOnSSOSwitch: switching SSO on or off revokes the tokens of
// every member of that org, and only that org's.
func testGrantsEndOnSSOSwitch(e *env) {
	tn, other := e.tenant(), e.tenant()
	a := e.app()
	m := e.member(tn.ID)
	c := e.connection(tn, true)
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"on", func() error { _, err := e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, c.ID); return err }},
		{"off", func() error { _, err := e.s.DisableSSO(e.ctx, tn.Actor, tn.ID); return err }},
	} {
		admin := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
		member := e.grant(a, tn.ID, m.Account.ID, true)
		elsewhere := e.grant(a, other.ID, other.Admin.Account.ID, true)
		e.ok(step.do(), "SSO "+step.what)
		for _, g := range []store.Issued{admin, member} {
			_, err := e.s.RefreshGrant(e.ctx, g.Refresh, testLimits)
			e.wantIs(err, store.ErrTokenInvalid, "a member's refresh token after SSO "+step.what)
			_, err = e.s.AccessGrant(e.ctx, g.AccessID)
			e.wantIs(err, store.ErrTokenInvalid, "a member's access token after SSO "+step.what)
		}
		must(e.s.RefreshGrant(e.ctx, elsewhere.Refresh, testLimits))(e)
	}
}

func testOAuthRevocation(e *env) {
	tn := e.tenant()
	a, b := e.app(), e.app()
	g := e.grant(a, tn.ID, tn.Admin.Account.ID, true)
	// Another app's revocation changes nothing.
	e.ok(e.s.RevokeAccessToken(e.ctx, b.ID, g.AccessID), "RevokeAccessToken by another app")
	e.ok(e.s.RevokeRefreshToken(e.ctx, b.ID, g.Refresh), "RevokeRefreshToken by another app")
	must(e.s.AccessGrant(e.ctx, g.AccessID))(e)
	must(e.s.RefreshGrant(e.ctx, g.Refresh, testLimits))(e)

	e.ok(e.s.RevokeAccessToken(e.ctx, a.ID, g.AccessID), "RevokeAccessToken")
	_, err := e.s.AccessGrant(e.ctx, g.AccessID)
	e.wantIs(err, store.ErrTokenInvalid, "a revoked access token")
	must(e.s.RefreshGrant(e.ctx, g.Refresh, testLimits))(e)
	e.ok(e.s.RevokeRefreshToken(e.ctx, a.ID, g.Refresh), "RevokeRefreshToken")
	_, err = e.s.RefreshGrant(e.ctx, g.Refresh, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "a revoked refresh token")
	e.ok(e.s.RevokeRefreshToken(e.ctx, a.ID, "unknown"), "revoking an unknown token")

	n := must(e.s.EndGrants(e.ctx, tn.Admin.Account.ID, ""))(e)
	if n != 0 {
		e.Errorf("EndGrants after revocations = %d, want 0", n)
	}
	e.grant(a, tn.ID, tn.Admin.Account.ID, false)
	if n := must(e.s.EndGrants(e.ctx, tn.Admin.Account.ID, tn.ID))(e); n != 1 {
		e.Errorf("EndGrants = %d, want 1", n)
	}
	// Deleting the app ends its grants.
	live := e.grant(b, tn.ID, tn.Admin.Account.ID, true)
	e.ok(e.s.DeleteApp(e.ctx, support, b.ID), "DeleteApp")
	_, err = e.s.RefreshGrant(e.ctx, live.Refresh, testLimits)
	e.wantIs(err, store.ErrTokenInvalid, "a deleted app's refresh token")
}

// testSigningKeys runs alone: the keys are service-wide. The first
// rotation makes a key that signs and a next one published a period ahead;
// at the next key's time the old one is retired, kept Keep longer, then
// deleted; two replicas rotating at once rotate once.
func testSigningKeys(e *env) {
	pol := store.KeyPolicy{Period: 30 * 24 * time.Hour, Ahead: 24 * time.Hour, Keep: 20 * time.Minute}
	n := 0
	newKey := func() (store.SigningKey, error) {
		n++
		return store.SigningKey{ID: fmt.Sprintf("k%d-%s", n, rnd()), Alg: "RS256", PrivateKey: "sealed"}, nil
	}
	rotate := func(want bool) []store.SigningKey {
		e.Helper()
		if changed := must(e.s.RotateSigningKeys(e.ctx, pol, newKey))(e); changed != want {
			e.Errorf("RotateSigningKeys changed = %v, want %v", changed, want)
		}
		ks := must(e.s.SigningKeys(e.ctx))(e)
		if store.SigningKeysDue(ks, e.clock.Now(), pol) {
			e.Errorf("keys still due after a rotation: %+v", ks)
		}
		return ks
	}
	signer := func(ks []store.SigningKey) string {
		for _, k := range ks {
			if k.Signs(ks, e.clock.Now()) {
				return k.ID
			}
		}
		return ""
	}
	_, err := e.s.RotateSigningKeys(e.ctx, pol, func() (store.SigningKey, error) { return store.SigningKey{ID: "x"}, nil })
	e.wantIs(err, store.ErrInvalid, "a key without its parts")

	ks := rotate(true)
	if len(ks) != 2 || ks[0].PrivateKey != "sealed" || !e.clockEqual(ks[0].SignsFrom) || !ks[1].SignsFrom.Equal(ks[0].SignsFrom.Add(pol.Period)) {
		e.Fatalf("first rotation: %+v, want a key signing now and the next one a period ahead", ks)
	}
	first, next := ks[0].ID, ks[1].ID
	if signer(ks) != first {
		e.Errorf("signer = %s, want %s", signer(ks), first)
	}
	rotate(false) // nothing due

	e.clock.Advance(pol.Period)
	// Two replicas at once: one rotates, the other finds nothing to do. The
	// first to make a key waits a moment for the other to get there too,
	// which only a missing lock allows (the wait bounds no assertion).
	var mu sync.Mutex
	calls, second := 0, make(chan struct{})
	slowKey := func() (store.SigningKey, error) {
		mu.Lock()
		calls++
		if calls == 2 {
			close(second)
		}
		first := calls == 1
		mu.Unlock()
		if first {
			select {
			case <-second:
			case <-time.After(300 * time.Millisecond):
			}
		}
		return newKey()
	}
	var changed [2]bool
	errs := race(func() (err error) { changed[0], err = e.s.RotateSigningKeys(e.ctx, pol, slowKey); return err },
		func() (err error) { changed[1], err = e.s.RotateSigningKeys(e.ctx, pol, slowKey); return err })
	if errs[0] != nil || errs[1] != nil || changed[0] == changed[1] {
		e.Errorf("concurrent rotations = %v %v, want one rotation", errs, changed)
	}
	ks = rotate(false)
	if len(ks) != 3 || ks[0].ID != first || ks[0].RetireAt == nil || signer(ks) != next {
		e.Fatalf("after a period: %+v, want the first retired (still published), the next signing and a new next", ks)
	}
	e.clock.Advance(pol.Keep)
	ks = rotate(true)
	if len(ks) != 2 || ks[0].ID != next || signer(ks) != next {
		e.Errorf("after keep: %+v, want the retired key gone", ks)
	}
}
