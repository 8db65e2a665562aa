package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/saml"
	"github.com/idbridge/idbridge/saml/samlpeer"
	"github.com/idbridge/idbridge/store"
)

// TestConsoleSSO drives the console's Single sign-on and Provisioning
// pages against SimpleSAMLphp: add a SAML connection through the guide,
// save the IdP's metadata URL, run the test sign-in, enable SSO through the
// confirmation, then create a SCIM token (shown once), use it, and revoke it.
func TestConsoleSSO(t *testing.T) {
	samlpeer.Need(t)
	e := newEnv(t)
	idp := startSSP(t)
	browser := newBrowser(t)
	admin := person(t, browser)
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)

	// Add connection: choose the IdP and a name; the guide shows our values.
	do(t, admin, "Add connection",
		chromedp.Navigate(e.base+"/admin/sso"),
		chromedp.Click(chromedp.CSS("#add-connection")),
		chromedp.Click(chromedp.CSS("#idp-saml")),
		typeIn("#name", "SimpleSAMLphp"),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("#acs-url")),
	)
	cs, err := e.st.ListConnections(e.ctx, e.org.ID)
	must(t, err)
	if len(cs) != 1 || cs[0].Name != "SimpleSAMLphp" || cs[0].Kind != store.ConnectionSAML {
		t.Fatalf("connections = %+v", cs)
	}
	id := cs[0].ID
	acs, entity := value(t, admin, "#acs-url"), value(t, admin, "#entity-id")
	if acs != e.base+"/saml/"+id+"/acs" || entity != e.base+"/saml/"+id+"/metadata" {
		t.Fatalf("our values: ACS %q, entity ID %q", acs, entity)
	}
	visible, err := chromedp.Run(admin, chromedp.Evaluate[bool](`!document.querySelector('button[data-copy="acs-url"]').hidden`))
	must(t, err)
	if !visible {
		t.Errorf("console.js did not show the copy button")
	}
	shoot(t, admin, "console-sso-guide.png")

	// The IdP's values: its metadata URL.
	do(t, admin, "the IdP's metadata URL",
		typeIn("#metadataUrl", idp.MetadataURL),
		chromedp.Submit(chromedp.CSS("#metadataUrl")),
	)
	textOf(t, admin, "Run a test sign-in next")
	c, err := e.st.GetConnection(e.ctx, e.org.ID, id)
	must(t, err)
	s, err := saml.ParseSettings(c.Settings)
	must(t, err)
	must(t, idp.AddSP(entity, acs, s.SPCertificate, false)) // what the admin does at the IdP
	shoot(t, admin, "console-sso.png")

	// The test sign-in, from the list, and back to the console.
	do(t, admin, "Test sign-in", chromedp.Click(chromedp.CSS(`form[action$="/connections/`+id+`/test"] button`)))
	sspLogin(t, admin, "ada", "ada-idp-pw")
	if page := textOf(t, admin, "Test sign-in succeeded"); !strings.Contains(page, "ada@"+domain) {
		t.Fatalf("test result:\n%s", page)
	}
	shoot(t, admin, "console-sso-test.png")
	do(t, admin, "back to the console", chromedp.Click(chromedp.CSS("#back-to-console")))

	// Enable SSO through the confirmation.
	do(t, admin, "Enable SSO", chromedp.Click(chromedp.CSS(`a[href="/admin/sso/enable?connection=`+id+`"]`)), chromedp.WaitVisible(chromedp.CSS("#consequences")))
	if page := textOf(t, admin, "sign in through SimpleSAMLphp from their next sign-in"); !strings.Contains(page, "from their next sign-in: 1") {
		t.Fatalf("confirmation:\n%s", page)
	}
	shoot(t, admin, "console-sso-enable.png")
	do(t, admin, "confirm", chromedp.Click(chromedp.CSS(`form[action="/admin/sso/enable"] button[type=submit]`)))
	textOf(t, admin, "SSO is enabled.")
	if org, _ := e.st.GetOrg(e.ctx, e.org.ID); !org.SSOEnabled || org.SSOConnectionID != id {
		t.Fatalf("org after enable: %+v", org)
	}
	shoot(t, admin, "console-sso-on.png")

	// Provisioning: a token shown once, used by the IdP, then revoked.
	do(t, admin, "create a SCIM token",
		chromedp.Navigate(e.base+"/admin/provisioning"),
		typeIn("#token-name", "Okta"),
		chromedp.Submit(chromedp.CSS("#token-name")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")),
	)
	token := value(t, admin, "#new-token")
	if !strings.HasPrefix(token, store.SCIMTokenPrefix) {
		t.Fatalf("new token %q", token)
	}
	shoot(t, admin, "console-provisioning-token.png")
	if code, body := e.scim(token, http.MethodGet, "/Users", ""); code != http.StatusOK {
		t.Fatalf("SCIM with the new token = %d %s", code, body)
	}
	do(t, admin, "revoke", chromedp.Navigate(e.base+"/admin/provisioning"), chromedp.Click(chromedp.CSS(`a[href$="/revoke"]`)))
	textOf(t, admin, "Revoke the SCIM token Okta")
	do(t, admin, "confirm revoke", chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button[type=submit]`)))
	textOf(t, admin, "The token is revoked.")
	if code, _ := e.scim(token, http.MethodGet, "/Users", ""); code != http.StatusUnauthorized {
		t.Fatalf("SCIM with the revoked token = %d, want 401", code)
	}
	shoot(t, admin, "console-provisioning.png")

	// A 390 px phone: the SSO page fits.
	do(t, admin, "phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.base+"/admin/sso"), chromedp.WaitVisible(chromedp.CSS("#add-connection")))
	width, err := chromedp.Run(admin, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	must(t, err)
	if width > 390 {
		t.Errorf("the SSO page is %d px wide on a 390 px screen", width)
	}
	shoot(t, admin, "console-sso-390.png")
}
