package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/idbridge/idbridge/provider"
	"github.com/idbridge/idbridge/store"
)

const afterLogout = "https://app.example.com/signed-out"

// signedIn reports whether the browser still has an idbridge session.
func (b *browser) signedIn() bool {
	b.t.Helper()
	code, _, _ := b.do(http.MethodGet, "/account", nil)
	return code == http.StatusOK
}

// TestEndSessionValidatesFirst: RP-initiated logout ends the idbridge
// session only for a valid id_token_hint of the session's own account or a
// confirmation posted from idbridge's own page; a forged hint, another
// person's hint, a bare link or a cross-site form change nothing.
func TestEndSessionValidatesFirst(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		reg, secret, err := e.st.CreateApp(e.ctx, support, store.NewApp{Name: "Front desk", RedirectURIs: []string{redirectURI},
			PostLogoutRedirectURIs: []string{afterLogout}})
		must(t, err)
		app := e.rp(reg.ID, secret)
		b := e.browser()
		f := newFlow()
		tok, err := app.cfg.Exchange(e.ctx, b.code(app, f), oauth2.VerifierOption(f.verifier))
		must(t, err)
		hint := idToken(t, tok)

		_, err = e.st.CreateMember(e.ctx, support, e.org.ID, store.NewMember{Email: "bob@acme.example", GivenName: "Bob", FamilyName: "B", Password: password})
		must(t, err)
		fb := newFlow()
		q := e.browser().authorize(app.authURL(fb), "bob@acme.example", password)
		bobTok, err := app.cfg.Exchange(e.ctx, q.Get("code"), oauth2.VerifierOption(fb.verifier))
		must(t, err)

		end := func(h string) string {
			v := url.Values{"post_logout_redirect_uri": {afterLogout}, "state": {"st"}, "client_id": {reg.ID}}
			if h != "" {
				v.Set("id_token_hint", h)
				v.Del("client_id")
			}
			return provider.EndSessionPath + "?" + v.Encode()
		}
		parts := strings.Split(hint, ".")
		forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		if code, loc, _ := b.do(http.MethodGet, end(forged), nil); code != http.StatusBadRequest || loc != "" || !b.signedIn() {
			t.Errorf("forged hint: %d to %q, signed in %v; want 400 and the session kept", code, loc, b.signedIn())
		}
		for what, h := range map[string]string{"no hint": "", "another person's hint": idToken(t, bobTok)} {
			code, loc, page := b.do(http.MethodGet, end(h), nil)
			if code != http.StatusOK || loc != "" || !strings.Contains(page, "Sign out of idbridge?") || !b.signedIn() {
				t.Errorf("%s: %d to %q, signed in %v; want the confirmation page and the session kept", what, code, loc, b.signedIn())
			}
		}
		// The confirmation posted from another site is asked again.
		form := url.Values{"post_logout_redirect_uri": {afterLogout}, "state": {"st"}, "client_id": {reg.ID}, "confirm": {"1"}}
		req, _ := http.NewRequest(http.MethodPost, e.base+provider.EndSessionPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := b.c.Do(req)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !b.signedIn() {
			t.Errorf("cross-site confirmation: %d, signed in %v; want the page again and the session kept", res.StatusCode, b.signedIn())
		}
		// An unregistered post-logout URI is refused before anything ends.
		bad := strings.Replace(end(hint), url.QueryEscape(afterLogout), url.QueryEscape("https://evil.example.com/"), 1)
		if code, loc, _ := b.do(http.MethodGet, bad, nil); code != http.StatusBadRequest || loc != "" || !b.signedIn() {
			t.Errorf("unregistered post_logout_redirect_uri: %d to %q; want 400 and the session kept", code, loc)
		}

		// The person's own hint signs out and goes back to the app with state.
		code, loc, _ := b.do(http.MethodGet, end(hint), nil)
		if code != http.StatusFound || loc != afterLogout+"?state=st" || b.signedIn() {
			t.Errorf("own hint: %d to %q, signed in %v; want the app's post-logout URI and no session", code, loc, b.signedIn())
		}

		// Without a hint, the confirmation from our own page signs out.
		b2 := e.browser()
		b2.code(app, newFlow())
		code, loc, _ = b2.do(http.MethodPost, provider.EndSessionPath, form)
		if code != http.StatusFound || loc != afterLogout+"?state=st" || b2.signedIn() {
			t.Errorf("confirmed: %d to %q, signed in %v; want the app's post-logout URI and no session", code, loc, b2.signedIn())
		}
	})
}

// TestAuthRequestBoundToBrowser: the link op sends a browser to after
// /oauth/authorize completes only in the browser that started the request;
// a signed-in person lured to another browser's link gets an error page,
// and the app no code.
func TestAuthRequestBoundToBrowser(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		app := e.rp(e.app.ID, e.secret)
		victim := e.browser()
		victim.code(app, newFlow()) // signed in to idbridge

		attacker := e.browser()
		_, loc, _ := attacker.do(http.MethodGet, app.authURL(newFlow()), nil)
		if !strings.HasPrefix(loc, provider.LoginPath+"?id=") {
			t.Fatalf("authorize went to %q, want the sign-in bridge", loc)
		}
		code, next, _ := victim.do(http.MethodGet, loc, nil)
		if code != http.StatusBadRequest || next != "" {
			t.Errorf("another browser's request: %d to %q, want 400 and no redirect", code, next)
		}
		// The browser that started it still completes it.
		code, next, _ = attacker.do(http.MethodGet, loc, nil)
		if code != http.StatusSeeOther || !strings.HasPrefix(next, "/login?") {
			t.Errorf("own request: %d to %q, want the sign-in page", code, next)
		}
	})
}
