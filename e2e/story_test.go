package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// textOf waits until the page shows want, and answers the page's text.
func textOf(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err == nil && strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed %q\n%s", want, where(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// emailChangeAndReset is the second half of the story: the IdP's change of
// the member's email is refused (400 mutability) while SSO is on, accepted
// once the admin turns SSO off, and the member gets back in with "Forgot
// password" (the link taken from the outbox) and the new email.
func emailChangeAndReset(t *testing.T, e *env, admin context.Context, browser context.Context, token, id string) {
	t.Helper()
	const newEmail = "zoe.zed@" + domain
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"` + newEmail + `"}]}`
	if code, body := e.scim(token, http.MethodPatch, "/Users/"+id, patch); code != http.StatusBadRequest || !strings.Contains(body, "mutability") {
		t.Fatalf("email change with SSO on = %d %s, want 400 mutability", code, body)
	}
	if code, r := api(t, admin, http.MethodPost, "/api/orgs/"+e.org.ID+"/sso/disable", nil); code != http.StatusOK {
		t.Fatalf("disable SSO = %d %v", code, r)
	}
	if code, body := e.scim(token, http.MethodPatch, "/Users/"+id, patch); code != http.StatusOK {
		t.Fatalf("email change with SSO off = %d %s", code, body)
	}

	// On a fresh browser context (signed out): /login with the new email
	// now shows the password form; she has none, so "Forgot password".
	zoe := person(t, browser)
	startSignIn(t, zoe, e.base, newEmail)
	do(t, zoe, "Forgot password",
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.Click(chromedp.CSS(`a[href="/password/forgot"]`)),
		typeIn("#email", newEmail),
		chromedp.Submit(chromedp.CSS("#email")),
	)
	textOf(t, zoe, "Check your email")
	const newPassword = "zoe-new-password-2026"
	do(t, zoe, "the reset link",
		chromedp.Navigate(e.resetLink(newEmail)),
		typeIn("#password", newPassword),
		typeIn("#confirm", newPassword),
		chromedp.Submit(chromedp.CSS("#confirm")),
	)
	textOf(t, zoe, "Password set")
	signInWithPassword(t, zoe, e.base, newEmail, newPassword)
	onAccount(t, zoe, e.base, newEmail, "Zoe", "Zed", "")
}
