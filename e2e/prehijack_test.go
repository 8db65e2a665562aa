package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
)

// TestPreHijackAcrossCompanies replays the outside review's attack over HTTP
// against the real server: company Beta's SCIM token plants a password on an
// address that company Acme adds later; the password never opens Acme.
func TestPreHijackAcrossCompanies(t *testing.T) {
	e := newEnv(t)
	sup := store.SupportActor("e2e")
	beta, err := e.st.CreateCompany(e.ctx, sup, "Beta Ltd")
	must(t, err)
	orgB, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: beta.ID, Name: "Beta", Domains: []string{"beta.example"}})
	must(t, err)
	tokenB, _, err := e.st.CreateSCIMToken(e.ctx, sup, orgB.ID, "attacker")
	must(t, err)
	tokenA, _, err := e.st.CreateSCIMToken(e.ctx, sup, e.org.ID, "okta")
	must(t, err)

	const pw = "attacker-chosen-password"
	user := func(addr string, withPassword bool) string {
		doc := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + addr + `"`
		if withPassword {
			doc += `,"password":"` + pw + `"`
		}
		return doc + `}`
	}
	// signIn posts the password form; it answers whether a session began.
	signIn := func(orgID, addr string) bool {
		t.Helper()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(e.base+"/login/password", url.Values{"org": {orgID}, "email": {addr}, "password": {pw}})
		must(t, err)
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if strings.Contains(ck.Name, "session") && ck.Value != "" && ck.MaxAge >= 0 {
				return true
			}
		}
		return false
	}

	// An address of Acme's verified domain: Beta's IdP cannot give it a password.
	victim := "victim@" + domain
	if code, body := e.scim(tokenB, http.MethodPost, "/Users", user(victim, true)); code != http.StatusCreated {
		t.Fatalf("Beta creates %s = %d %s", victim, code, body)
	}
	if signIn(orgB.ID, victim) {
		t.Errorf("Beta's IdP password on an address of Acme's domain signs in to Beta")
	}
	if code, body := e.scim(tokenA, http.MethodPost, "/Users", user(victim, false)); code != http.StatusCreated {
		t.Fatalf("Acme adds %s = %d %s", victim, code, body)
	}
	if signIn(e.org.ID, victim) {
		t.Errorf("the attacker signs in to Acme as %s", victim)
	}

	// An address in no verified domain: Beta's password works for Beta until
	// Acme adds the person, then never again.
	consultant := "consultant@mail.example"
	if code, body := e.scim(tokenB, http.MethodPost, "/Users", user(consultant, true)); code != http.StatusCreated {
		t.Fatalf("Beta creates %s = %d %s", consultant, code, body)
	}
	if !signIn(orgB.ID, consultant) {
		t.Fatalf("Beta's IdP password does not sign in to Beta")
	}
	if code, body := e.scim(tokenA, http.MethodPost, "/Users", user(consultant, false)); code != http.StatusCreated {
		t.Fatalf("Acme adds %s = %d %s", consultant, code, body)
	}
	if signIn(e.org.ID, consultant) || signIn(orgB.ID, consultant) {
		t.Errorf("Beta's IdP password still signs in after Acme added %s", consultant)
	}
}
