package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/store"
)

// TestOrgSwitcher: an admin of two orgs lands on the switcher after
// signing in, opens the other org's console, and comes back through the
// switcher in the console's header.
func TestOrgSwitcher(t *testing.T) {
	e := newEnv(t)
	sup := store.SupportActor("e2e")
	globex, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: e.org.CompanyID, Name: "Globex", Domains: []string{"globex.example"}})
	must(t, err)
	_, err = e.st.CreateMember(e.ctx, sup, globex.ID, store.NewMember{Email: e.admin.Account.Email, UserType: store.UserTypeSystemAdmin})
	must(t, err)
	_, err = e.st.CreateMember(e.ctx, sup, globex.ID, store.NewMember{Email: "gus@globex.example", GivenName: "Gus"})
	must(t, err)

	admin := person(t, newBrowser(t))
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)
	if loc := location(t, admin); loc != e.base+"/admin" {
		t.Fatalf("the admin of two orgs landed on %s, want the switcher", loc)
	}
	if page := textOf(t, admin, "Your organizations"); !strings.Contains(page, "Acme S.p.A.") || !strings.Contains(page, "Globex") {
		t.Fatalf("the switcher:\n%s", page)
	}
	shoot(t, admin, "console-orgs.png")
	do(t, admin, "open Globex", chromedp.Click(chromedp.CSS(`button[data-org="`+globex.ID+`"]`)))
	textOf(t, admin, "gus@globex.example")
	if org := orgShown(t, admin); org != "Globex" {
		t.Fatalf("the console's header names %q, want Globex", org)
	}
	do(t, admin, "back to Acme Hotels", chromedp.SetValue(chromedp.CSS("#switch-org"), e.org.ID),
		chromedp.Click(chromedp.CSS("#switcher button")))
	textOf(t, admin, "Users (1)")
	if org := orgShown(t, admin); org != "Acme Hotels" {
		t.Fatalf("after switching back the header names %q, want Acme Hotels", org)
	}
}

// orgShown is the org the console's header names.
func orgShown(t *testing.T, ctx context.Context) string {
	t.Helper()
	org, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header.console .org")))
	must(t, err)
	return org
}

// TestDownloadModal: with JavaScript, Download asks in a modal: the focus
// goes into it and stays (Tab wraps), Escape closes it and gives the focus
// back to Download.
func TestDownloadModal(t *testing.T) {
	e := newEnv(t)
	admin := person(t, newBrowser(t))
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)
	focused := func() string {
		t.Helper()
		id, err := chromedp.Run(admin, chromedp.Evaluate[string](`document.activeElement.id`))
		must(t, err)
		return id
	}
	do(t, admin, "Download", chromedp.Click(chromedp.CSS("#download")), chromedp.WaitVisible(chromedp.CSS("#download-yes")))
	if page := textOf(t, admin, "Download 1 user as"); !strings.Contains(page, "Acme Hotels Users.xlsx") {
		t.Fatalf("the modal:\n%s", page)
	}
	if loc := location(t, admin); loc != e.base+"/admin/users" {
		t.Fatalf("Download left the list for %s", loc)
	}
	if id := focused(); id != "download-yes" {
		t.Fatalf("focus on %q, want the modal's Download", id)
	}
	shoot(t, admin, "console-download.png")
	do(t, admin, "Tab", chromedp.KeyEvent("\t"))
	if id := focused(); id != "download-no" {
		t.Fatalf("Tab went to %q, want Cancel", id)
	}
	do(t, admin, "Tab again", chromedp.KeyEvent("\t"))
	if id := focused(); id != "download-yes" {
		t.Fatalf("Tab left the modal for %q", id)
	}
	do(t, admin, "Escape", chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(chromedp.CSS("#download-yes")))
	if id := focused(); id != "download" {
		t.Fatalf("after Escape the focus is on %q, want Download", id)
	}
}
