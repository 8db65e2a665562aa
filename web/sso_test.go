package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

func id(sub, email string, verified bool) url.Values {
	v := url.Values{"sub": {sub}, "email": {email}}
	if verified {
		v.Set("verified", "1")
	}
	return v
}

// ssoStart types the identifier on /login and returns the redirect to the IdP.
func (b *browser) ssoStart(identifier string) string {
	b.e.t.Helper()
	r := b.post("/login", url.Values{"identifier": {identifier}})
	if r.code != http.StatusFound || !strings.HasPrefix(r.loc, "/fake-idp/authorize") {
		b.e.t.Fatalf("POST /login %q = %d %q %q, want a redirect to the IdP", identifier, r.code, r.loc, text(r.body))
	}
	return r.loc
}

func TestSSOSignInLinksByVerifiedEmailThenBySubject(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	e.enableSSO(f.org)
	if m, _ := e.st.GetMember(e.ctx, f.org.ID, f.user.Account.ID); m.Status() != store.StatusInactive {
		t.Fatalf("before SSO bob is %s, want inactive", m.Status())
	}
	b := e.browser()
	r := b.idpReturn(b.ssoStart("acme.example"), id("00u-bob", "BOB@acme.example", true))
	if r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Fatalf("back from the IdP = %d %q %q, want 303 /account", r.code, r.loc, text(r.body))
	}
	if r := b.get("/account"); r.code != http.StatusOK || !strings.Contains(r.body, "bob@acme.example") {
		t.Fatalf("GET /account = %d %q", r.code, text(r.body))
	}
	if m, _ := e.st.GetMember(e.ctx, f.org.ID, f.user.Account.ID); m.Status() != store.StatusActive {
		t.Fatalf("after the first SSO sign-in bob is %s, want active", m.Status())
	}
	// Linked now: the subject finds bob even when the IdP sends another email.
	b2 := e.browser()
	if r := b2.idpReturn(b2.ssoStart("bob@acme.example"), id("00u-bob", "robert@acme.example", false)); r.code != http.StatusSeeOther {
		t.Fatalf("linked subject, new email = %d %q, want 303", r.code, text(r.body))
	}
	if r := b2.get("/account"); !strings.Contains(r.body, "bob@acme.example") {
		t.Fatalf("linked sign-in is not bob: %q", text(r.body))
	}
	if ls, err := e.st.IdentityLinks(e.ctx, f.org.ID, f.user.Account.ID); err != nil || len(ls) != 1 || ls[0].Subject != "00u-bob" {
		t.Fatalf("links = %+v %v, want one for 00u-bob", ls, err)
	}

	tests := []struct {
		name string
		id   url.Values
		want string
	}{
		{"unverified email", id("00u-ada", "ada@acme.example", false), "did not confirm your email"},
		{"email outside the verified domains", id("00u-x", "bob@evil.example", true), "not in one of this organization's verified domains"},
		{"not a member and no jit", id("00u-new", "newbie@acme.example", true), "not set up in this organization"},
		{"another subject with a linked account's email", id("00u-impostor", "bob@acme.example", true), "already linked"},
		{"a member of another org only", id("00u-gus", "gus@acme.example", true), "not set up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			r := b.idpReturn(b.ssoStart("acme.example"), tc.id)
			if r.code != http.StatusForbidden || !strings.Contains(text(r.body), tc.want) {
				t.Fatalf("= %d %q, want 403 with %q", r.code, text(r.body), tc.want)
			}
			if r.h.Get("Set-Cookie") != "" {
				t.Fatalf("a refused sign-in set a cookie: %q", r.h.Get("Set-Cookie"))
			}
		})
	}
}

func TestSSOSessionIsValidForItsOrgOnly(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	e.enableSSO(f.org)
	// Ada is also an admin of Globex.
	_, err := e.st.CreateMember(e.ctx, store.SupportActor("test"), f.other.ID, store.NewMember{Email: "ada@acme.example", UserType: store.UserTypeSystemAdmin})
	e.must(err)
	b := e.browser()
	if r := b.idpReturn(b.ssoStart("acme.example"), id("00u-ada", "ada@acme.example", true)); r.code != http.StatusSeeOther {
		t.Fatalf("SSO sign-in = %d %q", r.code, text(r.body))
	}
	if r := b.api(http.MethodGet, "/api/orgs/"+f.org.ID+"/sso", nil, nil); r.code != http.StatusOK {
		t.Fatalf("Acme's API through Acme's IdP = %d, want 200", r.code)
	}
	if r := b.api(http.MethodGet, "/api/orgs/"+f.other.ID+"/sso", nil, nil); r.code != http.StatusNotFound {
		t.Fatalf("Globex's API through Acme's IdP = %d, want 404", r.code)
	}
}

func TestSSOJustInTimeAndChooser(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	e.enableSSO(f.org)
	jit := e.addConnection(f.org, "Entra (JIT)", `{"issuer":"https://entra.example","jit":true}`)
	untested := e.addConnection(f.org, "Untested", `{"issuer":"https://u.example"}`)
	_, err := e.st.RecordConnectionTest(e.ctx, store.SupportActor("test"), f.org.ID, jit.ID)
	e.must(err)

	b := e.browser()
	r := b.post("/login", url.Values{"identifier": {"acme.example"}})
	if r.code != http.StatusOK || !strings.Contains(r.body, "Okta") || !strings.Contains(r.body, "Entra (JIT)") || strings.Contains(r.body, "Untested") {
		t.Fatalf("chooser = %d %q, want Okta and Entra, not the untested one", r.code, text(r.body))
	}
	if r := b.post("/login/sso", url.Values{"org": {f.org.ID}, "connection": {untested.ID}}); r.code != http.StatusNotFound {
		t.Fatalf("untested connection = %d, want 404", r.code)
	}
	r = b.post("/login/sso", url.Values{"org": {f.org.ID}, "connection": {jit.ID}})
	if r.code != http.StatusFound {
		t.Fatalf("chosen connection = %d %q", r.code, text(r.body))
	}
	if r := b.idpReturn(r.loc, id("entra-dee", "dee@acme.example", true)); r.code != http.StatusSeeOther {
		t.Fatalf("JIT sign-in = %d %q", r.code, text(r.body))
	}
	m, err := e.st.MemberByEmail(e.ctx, f.org.ID, "dee@acme.example")
	if err != nil || m.Status() != store.StatusActive || m.Membership.UserType != store.UserTypeUser {
		t.Fatalf("JIT member = %+v %v, want an active user", m, err)
	}
	// JIT still wants a verified email in a verified domain.
	b = e.browser()
	r = b.post("/login/sso", url.Values{"org": {f.org.ID}, "connection": {jit.ID}})
	if r := b.idpReturn(r.loc, id("entra-eve", "eve@evil.example", true)); r.code != http.StatusForbidden {
		t.Fatalf("JIT outside the domains = %d, want 403", r.code)
	}
	// Okta (no JIT) does not create people.
	b = e.browser()
	r = b.post("/login/sso", url.Values{"org": {f.org.ID}, "connection": {f.org.ID}})
	if r.code != http.StatusNotFound {
		t.Fatalf("bogus connection id = %d, want 404", r.code)
	}
}

func TestSSODisabledMemberRefused(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	e.enableSSO(f.org)
	yes := true
	_, err := e.st.UpdateMember(e.ctx, store.AdminActor(f.org.ID, f.admin.Account.ID), f.org.ID, f.user.Account.ID,
		store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: &yes}})
	e.must(err)
	b := e.browser()
	if r := b.idpReturn(b.ssoStart("acme.example"), id("00u-bob", "bob@acme.example", true)); r.code != http.StatusForbidden || !strings.Contains(text(r.body), "disabled") {
		t.Fatalf("disabled member through SSO = %d %q, want 403", r.code, text(r.body))
	}
}

// After SSO is turned off, a person who only ever signed in through SSO gets
// back in with "forgot password" (rule 11).
func TestSSOOffThenBackInByReset(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	e.enableSSO(f.org)
	_, err := e.st.CreateMember(e.ctx, store.AdminActor(f.org.ID, f.admin.Account.ID), f.org.ID, store.NewMember{Email: "sso.only@acme.example"})
	e.must(err)
	b := e.browser()
	if r := b.idpReturn(b.ssoStart("acme.example"), id("00u-s", "sso.only@acme.example", true)); r.code != http.StatusSeeOther {
		t.Fatalf("SSO sign-in = %d %q", r.code, text(r.body))
	}
	admin := e.browser()
	if r := admin.idpReturn(admin.ssoStart("acme.example"), id("00u-ada", "ada@acme.example", true)); r.code != http.StatusSeeOther {
		t.Fatalf("admin SSO sign-in = %d %q", r.code, text(r.body))
	}
	if r := admin.api(http.MethodPost, "/api/orgs/"+f.org.ID+"/sso/disable", nil, nil); r.code != http.StatusOK {
		t.Fatalf("disable SSO = %d %s", r.code, r.body)
	}
	b = e.browser()
	if r := b.post("/login", url.Values{"identifier": {"sso.only@acme.example"}}); r.code != http.StatusOK || !strings.Contains(r.body, `action="/login/password"`) {
		t.Fatalf("after SSO off /login = %d %q, want the password form", r.code, text(r.body))
	}
	b.post("/password/forgot", url.Values{"email": {"sso.only@acme.example"}})
	token := mustParse(t, e.link("sso.only@acme.example", "/password/reset")).Query().Get("token")
	if r := b.post("/password/reset", url.Values{"token": {token}, "password": {"finally a password"}, "confirm": {"finally a password"}}); r.code != http.StatusOK {
		t.Fatalf("reset = %d %q", r.code, text(r.body))
	}
	b.mustSignIn("sso.only@acme.example", "finally a password")
}
