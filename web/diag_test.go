package web_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// TestSignInDiagnosticsSAML: real SAML answers through the real provider,
// accepted and refused, each end in the org's sign-in attempts with its
// typed outcome, shown in words in the API and on /admin/sign-ins.
func TestSignInDiagnosticsSAML(t *testing.T) {
	p := newIdP(t)
	e := newEnvWith(t, web.Options{}, withSAML(t))
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	base := "/api/orgs/" + f.org.ID
	var c map[string]any
	if r := admin.api(http.MethodPost, base+"/connections", map[string]any{"kind": "saml", "name": "Acme IdP",
		"settings": map[string]any{"idpMetadataXml": p.metadataXML()}}, &c); r.code != http.StatusCreated {
		t.Fatalf("create = %d %s", r.code, r.body)
	}
	id := c["id"].(string)
	idpOrigin := p.srv.URL
	acs, form := p.signIn(admin.post(base+"/connections/"+id+"/test", nil), "ada@acme.example")
	if r := admin.crossSitePost(acs, form, idpOrigin); r.code != http.StatusOK {
		t.Fatalf("test sign-in = %d %q", r.code, text(r.body))
	}
	if r := admin.api(http.MethodPost, base+"/sso/enable", map[string]string{"connectionId": id}, nil); r.code != http.StatusOK {
		t.Fatalf("enable = %d %s", r.code, r.body)
	}

	b := e.browser()
	start := func(who string) (string, url.Values) {
		return p.signIn(b.post("/login", url.Values{"identifier": {"bob@acme.example"}}), who)
	}
	// 1. success, then 2. the same answer again (its request is used).
	acs, form = start("bob@acme.example")
	if r := b.crossSitePost(acs, form, idpOrigin); r.code != http.StatusSeeOther {
		t.Fatalf("bob's sign-in = %d %q", r.code, text(r.body))
	}
	b.crossSitePost(acs, form, idpOrigin)
	// 3. an answer posted by another browser.
	acs, form = start("bob@acme.example")
	e.browser().crossSitePost(acs, form, idpOrigin)
	// 4. a person the org does not have, JIT off.
	acs, form = start("nobody@acme.example")
	b.crossSitePost(acs, form, idpOrigin)
	// 5. an email outside the org's domains.
	acs, form = start("eve@elsewhere.example")
	b.crossSitePost(acs, form, idpOrigin)
	// 6. an answer changed after the IdP signed it.
	acs, form = start("bob@acme.example")
	doc, err := base64.StdEncoding.DecodeString(form.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	// The response is signed (its assertion is encrypted): one character
	// of its signature changes.
	sig := strings.Index(string(doc), "<ds:SignatureValue>") + len("<ds:SignatureValue>")
	if doc[sig] == 'A' {
		doc[sig] = 'B'
	} else {
		doc[sig] = 'A'
	}
	form.Set("SAMLResponse", base64.StdEncoding.EncodeToString(doc))
	b.crossSitePost(acs, form, idpOrigin)

	var got struct {
		SignIns []struct {
			Outcome, OutcomeText, Email, ConnectionName string
			Test                                        bool
		}
	}
	if r := admin.api(http.MethodGet, base+"/sign-ins", nil, &got); r.code != http.StatusOK {
		t.Fatalf("GET sign-ins = %d %s", r.code, r.body)
	}
	var outcomes []string
	for _, s := range got.SignIns {
		outcomes = append(outcomes, s.Outcome)
		if s.ConnectionName != "Acme IdP" || s.OutcomeText == "" {
			t.Errorf("attempt %+v", s)
		}
	}
	want := []string{store.OutcomeBadSignature, store.OutcomeEmailOutside, store.OutcomeNoMember, store.OutcomeOtherBrowser,
		store.OutcomeUnknownRequest, store.OutcomeSuccess, store.OutcomeSuccess}
	if strings.Join(outcomes, " ") != strings.Join(want, " ") {
		t.Fatalf("outcomes, newest first: %v, want %v", outcomes, want)
	}
	if g := got.SignIns; g[2].Email != "nobody@acme.example" || g[1].Email != "eve@elsewhere.example" || !g[6].Test || g[5].Test {
		t.Errorf("emails or test flags: %+v", g)
	}
	// The filters.
	if r := admin.api(http.MethodGet, base+"/sign-ins?failed=true&email=NOBODY", nil, &got); r.code != http.StatusOK || len(got.SignIns) != 1 {
		t.Errorf("failed, by email: %d %s", r.code, r.body)
	}
	if r := admin.api(http.MethodGet, base+"/sign-ins?outcome=nope", nil, nil); r.code != http.StatusBadRequest {
		t.Errorf("an unknown outcome = %d, want 400", r.code)
	}
	// The console page says them in words, in English and Italian.
	page := admin.get("/admin/sign-ins?failed=true")
	_, table, _ := strings.Cut(page.body, `<table id="sign-ins"`)
	if page.code != http.StatusOK || !strings.Contains(text(table), "No member of the organization has this email") ||
		strings.Contains(text(table), "Signed in.") {
		t.Fatalf("/admin/sign-ins = %d %q", page.code, text(page.body))
	}
	req, _ := http.NewRequest(http.MethodGet, admin.url("/admin/sign-ins"), nil)
	req.Header.Set("Accept-Language", "it")
	if r := admin.do(req); !strings.Contains(text(r.body), "Nessun membro dell'organizzazione ha questa e-mail") {
		t.Errorf("the Italian page: %q", text(r.body))
	}
	// Bob (a user, not an admin) may not read them.
	if r := b.api(http.MethodGet, base+"/sign-ins", nil, nil); r.code != http.StatusForbidden && r.code != http.StatusUnauthorized {
		t.Errorf("bob reading sign-ins = %d", r.code)
	}
}

// TestSCIMRequestLogPages: the API's filters and cursor, and the console's
// list (linked from Provisioning) and detail view with the rule's sentence.
func TestSCIMRequestLogPages(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	now := time.Now()
	var rs []store.SCIMRequest
	for i := range 5 {
		rs = append(rs, store.SCIMRequest{OrgID: f.org.ID, At: now.Add(time.Duration(i) * time.Second), TokenName: "Entra",
			Method: "GET", Path: "/Users", Filter: `userName eq "u` + string(rune('0'+i)) + `@acme.example"`, Status: 200})
	}
	rs = append(rs, store.SCIMRequest{OrgID: f.org.ID, At: now.Add(time.Minute), TokenName: "Entra", Method: "PATCH",
		Path: "/Users/abc", Status: 400, ErrorType: "mutability", Rule: 1, RuleSentence: "Disable SSO first to change the email.",
		RequestBody: `{"Operations":[{"op":"Replace","path":"userName","value":"new@acme.example"}]}`})
	rs = append(rs, store.SCIMRequest{OrgID: f.other.ID, At: now, Method: "GET", Path: "/Users", Status: 200})
	e.must(e.st.RecordSCIMRequests(e.ctx, rs))
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	base := "/api/orgs/" + f.org.ID + "/scim-requests"

	type page struct {
		Requests []store.SCIMRequest
		Next     string
	}
	var p page
	if r := admin.api(http.MethodGet, base+"?status=4xx", nil, &p); r.code != http.StatusOK || len(p.Requests) != 1 ||
		p.Requests[0].Rule != 1 || p.Requests[0].RuleSentence == "" {
		t.Fatalf("4xx = %d %s", r.code, r.body)
	}
	refused := p.Requests[0]
	var all []store.SCIMRequest
	for cursor := ""; ; {
		p = page{}
		if r := admin.api(http.MethodGet, base+"?method=GET&limit=2&cursor="+cursor, nil, &p); r.code != http.StatusOK {
			t.Fatalf("page = %d %s", r.code, r.body)
		}
		all = append(all, p.Requests...)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if len(all) != 5 {
		t.Errorf("GET requests over the pages: %d, want 5 (none of the other org)", len(all))
	}
	if r := admin.api(http.MethodGet, base+"?user=u3@acme", nil, &p); len(p.Requests) != 1 || r.code != http.StatusOK {
		t.Errorf("by user: %s", r.body)
	}
	if r := admin.api(http.MethodGet, base+"?status=3xx", nil, nil); r.code != http.StatusBadRequest {
		t.Errorf("status=3xx = %d, want 400", r.code)
	}
	if r := admin.api(http.MethodGet, base+"?since=2000-01-02&until=2000-01-01", nil, nil); r.code != http.StatusBadRequest {
		t.Errorf("a period ending before it starts = %d, want 400", r.code)
	}
	// The console: Provisioning links to the log; the log lists; the detail shows the rule.
	if r := admin.get("/admin/provisioning"); !strings.Contains(r.body, `href="/admin/provisioning/log"`) {
		t.Errorf("no link to the request log on Provisioning")
	}
	list := admin.get("/admin/provisioning/log?status=4xx")
	if list.code != http.StatusOK || !strings.Contains(list.body, "/admin/provisioning/log/"+refused.ID()) ||
		strings.Contains(list.body, "u3@acme.example") {
		t.Fatalf("the log page = %d %q", list.code, text(list.body))
	}
	d := admin.get("/admin/provisioning/log/" + refused.ID())
	if d.code != http.StatusOK || !strings.Contains(text(d.body), "Rule 1: Disable SSO first to change the email.") ||
		!strings.Contains(text(d.body), "new@acme.example") {
		t.Fatalf("the detail page = %d %q", d.code, text(d.body))
	}
	// Another org's record is not found.
	other, _, _ := e.st.ListSCIMRequests(e.ctx, f.other.ID, store.LogQuery{})
	if r := admin.get("/admin/provisioning/log/" + other[0].ID()); r.code != http.StatusNotFound {
		t.Errorf("another org's record = %d, want 404", r.code)
	}
}
