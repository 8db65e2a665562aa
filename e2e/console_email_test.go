package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/store"
)

// TestConsoleEmailAndInvitations drives the seed's email change and
// invitation features in a real browser: an email changed through the
// confirmation step (the old address gets its notice), "Edit email" replaced
// by its reason once SSO is on (rule 1), and an invitation resent from the
// list (a second link in the outbox, the first one void).
func TestConsoleEmailAndInvitations(t *testing.T) {
	e := newEnv(t)
	sup := store.SupportActor("e2e")
	eve, err := e.st.CreateMember(e.ctx, sup, e.org.ID, store.NewMember{Email: "eve@" + domain, GivenName: "Eve", FamilyName: "Neri", Invite: true})
	must(t, err)

	browser := newBrowser(t)
	admin := person(t, browser)
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)

	// Resend Eve's invitation from the list.
	do(t, admin, "resend", chromedp.Navigate(e.base+"/admin/users?q=eve"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Resend invitation to eve@`+domain+`"]`)))
	// The click's POST may still be on its way: wait for its second invitation.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, err := e.st.ListOutbox(e.ctx, "eve@"+domain)
		must(t, err)
		n := countKind(ms, "invitation")
		if n == 2 {
			break
		}
		if n > 2 || time.Now().After(deadline) {
			t.Fatalf("invitations to Eve after a resend = %d, want 2\n%s", n, where(admin))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Change Eve's email: the confirmation names both addresses.
	const newAddr = "eve.neri@" + domain
	do(t, admin, "edit email", chromedp.Navigate(e.base+"/admin/users/"+eve.Account.ID),
		typeIn("#new-email", newAddr), chromedp.Click(chromedp.CSS("#edit-email")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-email")))
	if page := textOf(t, admin, "Change the sign-in email"); !strings.Contains(page, "eve@"+domain) || !strings.Contains(page, newAddr) {
		t.Fatalf("confirmation:\n%s", page)
	}
	shoot(t, admin, "console-email-confirm.png")
	do(t, admin, "confirm", chromedp.Click(chromedp.CSS("#confirm-email")), chromedp.WaitVisible(chromedp.CSS("#email")))
	if got := textOf(t, admin, newAddr); !strings.Contains(got, newAddr) {
		t.Fatalf("details after the change:\n%s", got)
	}
	ms, err := e.st.ListOutbox(e.ctx, "eve@"+domain)
	must(t, err)
	if countKind(ms, "email_changed") != 1 {
		t.Fatalf("the old address got no notice of the change: %v", kinds(ms))
	}

	// SSO on: the email is the IdP's; the page says why instead of offering the form.
	c, err := e.st.CreateConnection(e.ctx, sup, e.org.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Okta",
		Settings: []byte(`{"metadataUrl":"https://idp.example.com/metadata"}`)})
	must(t, err)
	_, err = e.st.RecordConnectionTest(e.ctx, sup, e.org.ID, c.ID)
	must(t, err)
	_, err = e.st.EnableSSO(e.ctx, sup, e.org.ID, c.ID)
	must(t, err)
	do(t, admin, "details with SSO on", chromedp.Navigate(e.base+"/admin/users/"+eve.Account.ID), chromedp.WaitVisible(chromedp.CSS("#email-reason")))
	reason, err := chromedp.Run(admin, chromedp.Text(chromedp.CSS("#email-reason")))
	must(t, err)
	if !strings.Contains(reason, "Disable SSO") {
		t.Fatalf("the reason shown with SSO on: %q", reason)
	}
	if n, err := chromedp.Run(admin, chromedp.Evaluate[int](`document.querySelectorAll("#edit-email").length`)); err != nil || n != 0 {
		t.Fatalf("Edit email still offered with SSO on (%d, %v)", n, err)
	}
	shoot(t, admin, "console-email-sso.png")
}

func countKind(ms []store.OutboxMessage, kind string) int {
	n := 0
	for _, m := range ms {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

func kinds(ms []store.OutboxMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Kind
	}
	return out
}
