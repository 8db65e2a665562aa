package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/store"
)

// shoot saves a screenshot of the whole page as name (PNG) under
// $IDBRIDGE_E2E_SHOTS when set (CI keeps that folder as an artifact), else
// under the test's temporary folder.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG (lower is JPEG)
	must(t, err)
	dir := os.Getenv("IDBRIDGE_E2E_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

// value is the current value of a form control.
func value(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v\n%s", sel, err, where(ctx))
	}
	return v
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, err)
	return loc
}

// TestConsole drives the admin console as an admin would: lands on it
// after sign-in, searches, filters, opens a user's details and comes back
// with Escape, has an edit refused by rule 7 and then accepted, edits a
// selection in bulk, adds a user (the invitation read from the outbox),
// removes them, and reads the page in Italian and on a phone.
func TestConsole(t *testing.T) {
	e := newEnv(t)
	sup := store.SupportActor("e2e")
	add := func(email, given, family string, invite bool, sub store.Subscription) store.Member {
		m, err := e.st.CreateMember(e.ctx, sup, e.org.ID, store.NewMember{Email: email, GivenName: given, FamilyName: family, Invite: invite, Subscription: sub})
		must(t, err)
		return m
	}
	bob := add("bob@"+domain, "Bob", "Rossi", false, "")
	cat := add("cat@"+domain, "Cat", "Zeta", true, "")
	add("dan@"+domain, "Dan", "Bianchi", false, store.SubscriptionProfessional)

	browser := newBrowser(t)
	admin := person(t, browser)
	do(t, admin, "the sign-in page", chromedp.Navigate(e.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#identifier")))
	shoot(t, admin, "login.png")
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)
	if loc := location(t, admin); loc != e.base+"/admin/users" {
		t.Fatalf("the admin landed on %s, want the console", loc)
	}
	if page := textOf(t, admin, "4 users"); !strings.Contains(page, "Users (4)") || !strings.Contains(page, "cat@"+domain) {
		t.Fatalf("Users page:\n%s", page)
	}
	shoot(t, admin, "console-users.png")

	// Search, then a filter: in the URL, so a reload shows the same list.
	do(t, admin, "search zeta", typeIn("#q", "zeta"), chromedp.Submit(chromedp.CSS("#q")))
	if page := textOf(t, admin, "1 user"); strings.Contains(page, "bob@"+domain) || !strings.Contains(page, "cat@"+domain) {
		t.Fatalf("search zeta:\n%s", page)
	}
	do(t, admin, "filter pending", typeIn("#q", ""), chromedp.SetValue(chromedp.CSS("#f-status"), "pending"), chromedp.Submit(chromedp.CSS("#q")))
	textOf(t, admin, "1 user")
	do(t, admin, "reload", chromedp.Reload())
	if loc := location(t, admin); !strings.Contains(loc, "status=pending") || value(t, admin, "#f-status") != "pending" {
		t.Fatalf("after a reload at %s the filter is %q", loc, value(t, admin, "#f-status"))
	}
	if page := textOf(t, admin, "1 user"); !strings.Contains(page, "Resend invitation") || strings.Contains(page, "dan@"+domain) {
		t.Fatalf("status=pending:\n%s", page)
	}

	// The details of Cat, and back with Escape: focus on her row.
	do(t, admin, "open Cat", chromedp.Click(chromedp.CSS("#u-"+cat.Account.ID)), chromedp.WaitVisible(chromedp.CSS("#f-reportsRole")))
	if page := textOf(t, admin, "Subscription and roles"); !strings.Contains(page, cat.Account.ID) || !strings.Contains(page, "Pending") {
		t.Fatalf("Cat's details:\n%s", page)
	}
	shoot(t, admin, "console-details.png")
	do(t, admin, "Escape", chromedp.KeyEvent("\x1b"), chromedp.WaitVisible(chromedp.CSS("#q")))
	focused, err := chromedp.Run(admin, chromedp.Evaluate[string](`document.activeElement.id`))
	must(t, err)
	if loc := location(t, admin); focused != "u-"+cat.Account.ID || !strings.Contains(loc, "status=pending") {
		t.Fatalf("after Escape at %s the focus is on %q, want Cat's row in the filtered list", loc, focused)
	}

	// Rule 7: Bob's reports role without the subscription: refused next to
	// the field, the value restored; after the subscription, accepted.
	do(t, admin, "Bob's details", chromedp.Navigate(e.base+"/admin/users/"+bob.Account.ID),
		chromedp.SetValue(chromedp.CSS("#f-reportsRole"), "viewer"), chromedp.Click(chromedp.CSS("#save-reportsRole")),
		chromedp.WaitVisible(chromedp.CSS("#reportsRole-error")))
	msg, err := chromedp.Run(admin, chromedp.Text(chromedp.CSS("#reportsRole-error")))
	must(t, err)
	if !strings.Contains(msg, "professional or supervision subscription") || value(t, admin, "#f-reportsRole") != "no_access" {
		t.Fatalf("rule 7 refusal %q, value %q", msg, value(t, admin, "#f-reportsRole"))
	}
	focused, _ = chromedp.Run(admin, chromedp.Evaluate[string](`document.activeElement.id`))
	if focused != "reportsRole-error" {
		t.Errorf("the refusal does not take the focus (%q)", focused)
	}
	shoot(t, admin, "console-refusal.png")
	do(t, admin, "subscription then reports role",
		chromedp.SetValue(chromedp.CSS("#f-subscription"), "professional"), chromedp.Click(chromedp.CSS("#save-subscription")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
		chromedp.SetValue(chromedp.CSS("#f-reportsRole"), "viewer"), chromedp.Click(chromedp.CSS("#save-reportsRole")))
	textOf(t, admin, "The reports role is saved.")
	if m, _ := e.st.GetMember(e.ctx, e.org.ID, bob.Account.ID); m.Membership.ReportsRole != store.ReportsViewer {
		t.Fatalf("Bob's reports role = %s", m.Membership.ReportsRole)
	}

	// Bulk on a selection: Cat and Dan get the editor role; Cat has no
	// subscription, so she is refused and named in the report.
	do(t, admin, "select Cat and Dan", chromedp.Navigate(e.base+"/admin/users?sort=name"),
		chromedp.WaitVisible(chromedp.CSS("#select-page")),
		chromedp.Click(chromedp.CSS(`input[name=id][value="`+cat.Account.ID+`"]`)),
		chromedp.Click(chromedp.CSS(`input[aria-label="Select Dan Bianchi"]`)),
		chromedp.Click(chromedp.CSS("#bulk-edit")),
		chromedp.WaitVisible(chromedp.CSS("#apply")))
	textOf(t, admin, "2 selected users.")
	shoot(t, admin, "console-bulk.png")
	do(t, admin, "apply", chromedp.SetValue(chromedp.CSS("#b-role"), "editor"), chromedp.Click(chromedp.CSS("#apply")))
	if page := textOf(t, admin, "1 changed, 1 refused."); !strings.Contains(page, "Cat Zeta") || !strings.Contains(page, "rule 7") {
		t.Fatalf("bulk report:\n%s", page)
	}
	shoot(t, admin, "console-bulk-report.png")

	// Add a user: name and email, access rights, invitation.
	do(t, admin, "add user", chromedp.Navigate(e.base+"/admin/users"), chromedp.Click(chromedp.CSS(`a[href="/admin/users/new"]`)),
		typeIn("#n-given", "Eva"), typeIn("#n-family", "Verdi"), typeIn("#n-email", "eva@"+domain), chromedp.Click(chromedp.CSS("#next-rights")),
		chromedp.WaitVisible(chromedp.CSS("#send-invitation")), chromedp.SetValue(chromedp.CSS("#n-sub"), "contributor"))
	shoot(t, admin, "console-add-rights.png")
	do(t, admin, "send invitation", chromedp.Click(chromedp.CSS("#send-invitation")))
	textOf(t, admin, "An invitation was sent to eva@"+domain)
	if link := e.resetLink("eva@" + domain); !strings.Contains(link, "/invitation?token=") {
		t.Fatalf("the invitation's link is %s", link)
	}
	eva, err := e.st.MemberByEmail(e.ctx, e.org.ID, "eva@"+domain)
	must(t, err)

	// Remove her: the confirmation names her.
	do(t, admin, "remove Eva", chromedp.Click(chromedp.CSS(`a[href^="/admin/users/`+eva.Account.ID+`"]`)), chromedp.Click(chromedp.CSS("#remove")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-remove")))
	textOf(t, admin, "Remove Eva Verdi (eva@"+domain+") from Acme Hotels?")
	shoot(t, admin, "console-remove.png")
	do(t, admin, "confirm", chromedp.Click(chromedp.CSS("#confirm-remove")))
	if page := textOf(t, admin, "The user is removed from the organization."); strings.Contains(page, "eva@"+domain) {
		t.Fatalf("Eva still listed:\n%s", page)
	}

	// Italian, from the switcher; then the Users page on a 390 px phone.
	do(t, admin, "Italiano", chromedp.Click(chromedp.CSS(`button[name=lang][value=it]`)))
	page := textOf(t, admin, "Tutti gli stati")
	for _, want := range []string{"Utenti (4)", "Aggiungi utente", "Scarica", "Modifica tipi di utenti e sottoscrizioni", "In sospeso"} {
		if !strings.Contains(page, want) {
			t.Errorf("the Italian page lacks %q", want)
		}
	}
	shoot(t, admin, "console-users-it.png")
	do(t, admin, "phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#q")))
	width, err := chromedp.Run(admin, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	must(t, err)
	if width > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen", width)
	}
	shoot(t, admin, "console-users-390.png")
	do(t, admin, "phone details", chromedp.Navigate(e.base+"/admin/users/"+bob.Account.ID), chromedp.WaitVisible(chromedp.CSS("#f-reportsRole")))
	shoot(t, admin, "console-details-390.png")
	if !regexp.MustCompile(`Accesso a Rapporti`).MatchString(textOf(t, admin, "Sottoscrizione e ruoli")) {
		t.Errorf("the details are not in Italian")
	}
}
