package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/idbridge/idbridge/provider"
	"github.com/idbridge/idbridge/store"
)

// signInPage follows an authorization without a session to idbridge's
// sign-in and returns the page and the return_to it carries.
func (b *browser) signInPage(authURL string) (int, string, string) {
	b.t.Helper()
	_, loc, _ := b.do(http.MethodGet, authURL, nil)
	_, loc, _ = b.do(http.MethodGet, loc, nil)
	if !strings.HasPrefix(loc, "/login?") {
		b.t.Fatalf("authorization went to %q, want /login", loc)
	}
	u, _ := url.Parse(loc)
	code, _, page := b.do(http.MethodGet, loc, nil)
	return code, u.Query().Get("return_to"), page
}

// TestSignInHints: login_hint and domain_hint skip the email-or-domain step
// (the password form of the org comes first, the email filled in); org_hint
// picks the org of a person in several, also over a session in another org.
func TestSignInHints(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		app := e.rp(e.app.ID, e.secret)
		hinted := func(k, v string) string {
			f := newFlow()
			return app.cfg.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier), oauth2.SetAuthURLParam(k, v))
		}

		code, _, page := e.browser().signInPage(hinted("login_hint", e.ada.Account.Email))
		if code != http.StatusOK || !strings.Contains(page, `name="email" value="ada@acme.example"`) || !strings.Contains(page, `name="org" value="`+e.org.ID+`"`) {
			t.Errorf("login_hint: %d, want the org's password form with the email; page %s", code, page)
		}
		code, _, page = e.browser().signInPage(hinted("domain_hint", "acme.example"))
		if code != http.StatusOK || !strings.Contains(page, `name="org" value="`+e.org.ID+`"`) || !strings.Contains(page, "Acme Hotels") {
			t.Errorf("domain_hint: %d, want the org's password form; page %s", code, page)
		}

		// Ada also belongs to the other org; signed in to the first, an app
		// asking for the other sends her to sign in there.
		_, err := e.st.CreateMember(e.ctx, support, e.other.ID, store.NewMember{Email: e.ada.Account.Email})
		must(t, err)
		b := e.browser()
		b.code(app, newFlow())
		f := newFlow()
		code, back, page := b.signInPage(app.cfg.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier),
			oauth2.SetAuthURLParam("org_hint", e.other.ID)))
		if code != http.StatusOK || !strings.Contains(page, `name="org" value="`+e.other.ID+`"`) {
			t.Fatalf("org_hint: %d, want the other org's password form; page %s", code, page)
		}
		code, loc, page := b.do(http.MethodPost, "/login/password", url.Values{"email": {e.ada.Account.Email}, "password": {password},
			"org": {e.other.ID}, "return_to": {back}})
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, provider.LoginPath) {
			t.Fatalf("sign in to the hinted org: %d to %q; %s", code, loc, page)
		}
		_, loc, _ = b.do(http.MethodGet, loc, nil)
		u, _ := url.Parse(loc)
		tok, err := app.cfg.Exchange(e.ctx, u.Query().Get("code"), oauth2.VerifierOption(f.verifier))
		must(t, err)
		if c := app.verify(idToken(t, tok), f.nonce); c["org_id"] != e.other.ID {
			t.Errorf("org_hint: token for org %v, want %s", c["org_id"], e.other.ID)
		}
	})
}
