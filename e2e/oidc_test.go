package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/oidc/oidcpeer"
	"github.com/idbridge/idbridge/store"
)

// TestBrowserSignInOIDCProvider is the first half of the story through node
// oidc-provider in Chromium: SCIM provisions Zoe, the admin adds an OIDC
// connection (issuer discovery), runs the test sign-in through the OP's dev
// login and consent forms and enables SSO; Zoe signs in by company domain
// (authorization code with PKCE) and lands on /account.
func TestBrowserSignInOIDCProvider(t *testing.T) {
	oidcpeer.Need(t)
	t0 := time.Now()
	e := newEnv(t)
	const clientID, secret = "idbridge-e2e", "e2e-client-secret-0123456789"
	accounts := []oidcpeer.Account{
		{Login: "ada", Subject: "ada", Email: "ada@" + domain, EmailVerified: true, GivenName: "Ada", FamilyName: "Lovelace"},
		{Login: "zoe", Subject: "zoe", Email: "zoe@" + domain, EmailVerified: true, GivenName: "Zoe", FamilyName: "Zed"},
	}
	// The OP must answer discovery before the connection exists, and know
	// the connection's redirect URI after: started twice on one port.
	op, err := oidcpeer.Start(oidcpeer.Client{ID: clientID, Secret: secret, RedirectURI: e.base + "/oidc/pending/callback"}, accounts...)
	must(t, err)
	stop := func() {
		op.Close()
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", op.Log())
		}
	}
	defer func() { stop() }()
	browser := newBrowser(t)
	admin, zoeTab := person(t, browser), person(t, browser)
	api0 := "/api/orgs/" + e.org.ID

	allowFetch(t, admin)
	signInWithPassword(t, admin, e.base, e.admin.Account.Email, adminPassword)
	code, tok := api(t, admin, http.MethodPost, api0+"/scim-tokens", map[string]string{"name": "oidc-provider"})
	if code != http.StatusCreated || tok["token"] == nil {
		t.Fatalf("create SCIM token = %d %v", code, tok)
	}
	code, body := e.scim(tok["token"].(string), http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"zoe@`+domain+`","name":{"givenName":"Zoe","familyName":"Zed"},"externalId":"zoe","active":true}`)
	if code != http.StatusCreated {
		t.Fatalf("SCIM create = %d %s", code, body)
	}
	zoe, err := e.st.MemberByEmail(e.ctx, e.org.ID, "zoe@"+domain)
	must(t, err)

	code, conn := api(t, admin, http.MethodPost, api0+"/connections", map[string]any{"kind": "oidc", "name": "oidc-provider",
		"settings": map[string]string{"issuer": op.Issuer, "clientId": clientID, "clientSecret": secret}})
	if code != http.StatusCreated {
		t.Fatalf("create connection = %d %v", code, conn)
	}
	if raw, _ := json.Marshal(conn); strings.Contains(string(raw), secret) {
		t.Fatalf("the API returned the client secret: %v", conn)
	}
	connID := conn["id"].(string)
	stop()
	op, err = oidcpeer.Start(oidcpeer.Client{ID: clientID, Secret: secret, RedirectURI: e.base + "/oidc/" + connID + "/callback",
		Port: portOf(t, op.Issuer)}, accounts...)
	must(t, err)

	do(t, admin, "the admin's test sign-in",
		chromedp.Navigate(e.base+"/account"),
		chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)),
	)
	opLogin(t, admin, op.Issuer, "ada")
	if page := textOf(t, admin, "Email verified"); !strings.Contains(page, "ada@"+domain) {
		t.Fatalf("test sign-in page:\n%s", page)
	}
	if code, r := api(t, admin, http.MethodPost, api0+"/sso/enable", map[string]string{"connectionId": connID}); code != http.StatusOK {
		t.Fatalf("enable SSO = %d %v", code, r)
	}

	startSignIn(t, zoeTab, e.base, domain)
	opLogin(t, zoeTab, op.Issuer, "zoe")
	onAccount(t, zoeTab, e.base, "zoe@"+domain, "Zoe", "Zed", "oidc-provider-account.png")
	if m, _ := e.st.GetMember(e.ctx, e.org.ID, zoe.Account.ID); m.Status() != store.StatusActive {
		t.Fatalf("Zoe is %s after signing in, want active", m.Status())
	}
	t.Logf("whole story in %s", time.Since(t0).Round(time.Millisecond))
}

// opLogin fills oidc-provider's dev login form (any password), then submits
// its consent form(s) until the browser leaves the OP.
func opLogin(t *testing.T, ctx context.Context, issuer, login string) {
	t.Helper()
	do(t, ctx, "oidc-provider's login form",
		typeIn(`input[name="login"]`, login),
		typeIn(`input[name="password"]`, "any-password"),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
	)
	deadline := time.Now().Add(10 * time.Second)
	for consents := 0; ; {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && !strings.HasPrefix(loc, issuer) {
			return
		}
		if time.Now().After(deadline) || consents > 3 {
			t.Fatalf("still at the OP after %d consents\n%s", consents, where(ctx))
		}
		// The consent page: a form with a submit button and no login field.
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('input[name="login"]') ? 0 : document.querySelectorAll('form button[type="submit"]').length`))
		if n > 0 {
			do(t, ctx, "oidc-provider's consent", chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
			consents++
			time.Sleep(200 * time.Millisecond)
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func portOf(t *testing.T, issuer string) int {
	t.Helper()
	var port int
	if i := strings.LastIndex(issuer, ":"); i >= 0 {
		for _, c := range issuer[i+1:] {
			port = port*10 + int(c-'0')
		}
	}
	if port == 0 {
		t.Fatalf("no port in %s", issuer)
	}
	return port
}
