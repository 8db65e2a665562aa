package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/saml"
	"github.com/idbridge/idbridge/saml/samlpeer"
	"github.com/idbridge/idbridge/store"
)

var sspUsers = []samlpeer.User{
	{Username: "ada", Password: "ada-idp-pw", Email: "ada@" + domain, GivenName: "Ada", FamilyName: "Lovelace"},
	{Username: "zoe", Password: "zoe-idp-pw", Email: "zoe@" + domain, GivenName: "Zoe", FamilyName: "Zed"},
}

// TestBrowserSignInSimpleSAMLphp is the end-to-end story in a real
// browser: the real server on loopback, SimpleSAMLphp from Debian as the
// IdP, Chromium. SCIM provisions Zoe; the admin adds a SAML connection
// (metadata fetched from the IdP's URL), runs the test sign-in in the
// browser and enables SSO; Zoe signs in through the IdP's login form and
// its cross-site auto-POST to our ACS; the IdP's change of her email is
// refused while SSO is on and accepted once it is off; she gets back in with
// "Forgot password".
func TestBrowserSignInSimpleSAMLphp(t *testing.T) {
	samlpeer.Need(t)
	t0 := time.Now()
	e := newEnv(t)
	idp := startSSP(t)
	browser := newBrowser(t)
	admin, zoeTab := person(t, browser), person(t, browser)
	api0 := "/api/orgs/" + e.org.ID

	// The admin signs in with her password and makes a SCIM token for the IdP.
	allowFetch(t, admin)
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)
	code, tok := api(t, admin, http.MethodPost, api0+"/scim-tokens", map[string]string{"name": "simplesamlphp"})
	if code != http.StatusCreated || tok["token"] == nil {
		t.Fatalf("create SCIM token = %d %v", code, tok)
	}
	token := tok["token"].(string)

	// The IdP provisions Zoe.
	code, body := e.scim(token, http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"zoe@`+domain+`","name":{"givenName":"Zoe","familyName":"Zed"},
		"emails":[{"primary":true,"value":"zoe@`+domain+`","type":"work"}],"externalId":"zoe","active":true}`)
	if code != http.StatusCreated {
		t.Fatalf("SCIM create = %d %s", code, body)
	}
	zoe, err := e.st.MemberByEmail(e.ctx, e.org.ID, "zoe@"+domain)
	must(t, err)

	// The admin adds the connection by metadata URL; the IdP learns our SP.
	connID := addSSPConnection(t, e, admin, idp)

	// Rule 12: no SSO before a test; then the test sign-in in the browser.
	if code, r := api(t, admin, http.MethodPost, api0+"/sso/enable", map[string]string{"connectionId": connID}); code != http.StatusConflict {
		t.Fatalf("enable SSO before a test = %d %v, want 409", code, r)
	}
	sspTestSignIn(t, e, admin)
	if code, r := api(t, admin, http.MethodPost, api0+"/sso/enable", map[string]string{"connectionId": connID}); code != http.StatusOK {
		t.Fatalf("enable SSO = %d %v", code, r)
	}

	// Zoe signs in: company domain, the IdP's form, back to /account.
	startSignIn(t, zoeTab, e.base, domain)
	sspLogin(t, zoeTab, "zoe", "zoe-idp-pw")
	onAccount(t, zoeTab, e.base, "zoe@"+domain, "Zoe", "Zed", "simplesamlphp-account.png")
	if m, _ := e.st.GetMember(e.ctx, e.org.ID, zoe.Account.ID); m.Status() != store.StatusActive {
		t.Fatalf("Zoe is %s after signing in, want active", m.Status())
	}

	emailChangeAndReset(t, e, admin, browser, token, zoe.Account.ID)
	t.Logf("whole story in %s", time.Since(t0).Round(time.Millisecond))
}

// sspLogin fills SimpleSAMLphp's login form; its answer auto-POSTs to our
// ACS from the IdP's origin (a cross-origin POST, in the browser).
func sspLogin(t *testing.T, ctx context.Context, user, password string) {
	t.Helper()
	do(t, ctx, "SimpleSAMLphp's login form",
		typeIn(`input[name="username"]`, user),
		typeIn(`input[name="password"]`, password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
	)
}

// TestBrowserSAMLCrossSiteOverHTTPS: with an https base URL, the IdP's
// auto-POST to the ACS is cross-site in the browser's eyes (idbridge on
// https://localhost, SimpleSAMLphp on http://127.0.0.1), so Chromium sends
// the flow's binding cookie only because it is SameSite=None; Secure: the
// admin's test sign-in completes (with SameSite=Lax it would be refused as
// "started in another browser").
func TestBrowserSAMLCrossSiteOverHTTPS(t *testing.T) {
	samlpeer.Need(t)
	e := newEnvOn(t, true)
	idp := startSSP(t)
	browser := newBrowser(t)
	admin := person(t, browser)
	allowFetch(t, admin)
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)
	addSSPConnection(t, e, admin, idp)
	sspTestSignIn(t, e, admin)
}

// addSSPConnection adds a SAML connection to SimpleSAMLphp by its metadata
// URL through the admin API in the admin's tab, and registers our SP at
// the IdP. It returns the connection's id.
func addSSPConnection(t *testing.T, e *env, admin context.Context, idp *samlpeer.IdP) string {
	t.Helper()
	code, conn := api(t, admin, http.MethodPost, "/api/orgs/"+e.org.ID+"/connections", map[string]any{
		"kind": "saml", "name": "SimpleSAMLphp", "settings": map[string]string{"idpMetadataUrl": idp.MetadataURL}})
	if code != http.StatusCreated {
		t.Fatalf("create connection = %d %v", code, conn)
	}
	connID := conn["id"].(string)
	c, err := e.st.GetConnection(e.ctx, e.org.ID, connID)
	must(t, err)
	s, err := saml.ParseSettings(c.Settings)
	must(t, err)
	must(t, idp.AddSP(e.base+"/saml/"+connID+"/metadata", e.base+"/saml/"+connID+"/acs", s.SPCertificate, false))
	return connID
}

// sspTestSignIn runs the admin's test sign-in (Ada) through SimpleSAMLphp
// in the browser, and checks the result page.
func sspTestSignIn(t *testing.T, e *env, admin context.Context) {
	t.Helper()
	do(t, admin, "the admin's test sign-in",
		chromedp.Navigate(e.base+"/account"),
		chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)),
	)
	sspLogin(t, admin, "ada", "ada-idp-pw")
	if page := textOf(t, admin, "Email verified"); !strings.Contains(page, "ada@"+domain) {
		t.Fatalf("test sign-in page:\n%s", page)
	}
}

// startSSP starts SimpleSAMLphp with sspUsers; its log is shown when the test fails.
func startSSP(t *testing.T) *samlpeer.IdP {
	t.Helper()
	idp, err := samlpeer.Start(t.TempDir(), sspUsers)
	must(t, err)
	t.Cleanup(func() {
		idp.Close()
		if t.Failed() {
			t.Logf("php log:\n%s", idp.Log())
		}
	})
	return idp
}
