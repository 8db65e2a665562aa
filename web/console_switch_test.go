package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// switchEnv: Ada administers Acme Hotels and Globex (Acme S.p.A.) and
// Initech (another company, SSO on); she is a plain user of Umbrella.
type switchEnv struct {
	*env
	f                 fixture
	initech, umbrella store.Org
}

func newSwitchEnv(t *testing.T) switchEnv {
	e := newEnv(t, web.Options{})
	f := e.seed()
	sup := store.SupportActor("test")
	_, err := e.st.CreateMember(e.ctx, sup, f.other.ID, store.NewMember{Email: "ada@acme.example", UserType: store.UserTypeSystemAdmin})
	e.must(err)
	co, err := e.st.CreateCompany(e.ctx, sup, "Initech Corp")
	e.must(err)
	ini, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Initech", Domains: []string{"initech.example"}})
	e.must(err)
	_, err = e.st.CreateMember(e.ctx, sup, ini.ID, store.NewMember{Email: "ada@acme.example", UserType: store.UserTypeSystemAdmin})
	e.must(err)
	e.enableSSO(ini)
	umb, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Umbrella"})
	e.must(err)
	_, err = e.st.CreateMember(e.ctx, sup, umb.ID, store.NewMember{Email: "ada@acme.example"})
	e.must(err)
	return switchEnv{env: e, f: f, initech: ini, umbrella: umb}
}

func TestOrgSwitcher(t *testing.T) {
	s := newSwitchEnv(t)
	f := s.f
	ada := s.browser()
	ada.mustSignIn("ada@acme.example", f.password)
	// /admin: the switcher, by company.
	r := ada.get("/admin")
	page := text(r.body)
	if r.code != http.StatusOK || !strings.Contains(page, "Your organizations") || !strings.Contains(page, "Acme S.p.A.") ||
		!strings.Contains(page, "Initech Corp") || !strings.Contains(r.body, `data-org="`+f.other.ID+`"`) ||
		!strings.Contains(r.body, `data-org="`+s.initech.ID+`"`) || strings.Contains(r.body, s.umbrella.ID) {
		t.Fatalf("/admin = %d, want the switcher with Globex and Initech by company:\n%s", r.code, page)
	}
	if i, j := strings.Index(page, "Acme S.p.A."), strings.Index(page, "Initech Corp"); i > j {
		t.Errorf("companies not by name:\n%s", page)
	}
	// ... and in the console's header.
	if r = ada.get("/admin/users"); !strings.Contains(r.body, `action="/admin/switch"`) || !strings.Contains(r.body, `<optgroup label="Initech Corp">`) {
		t.Fatalf("the console's header has no switcher:\n%s", r.body)
	}
	// Refused: an org where Ada is a plain user, an unknown org, a cross-site form.
	for _, org := range []string{s.umbrella.ID, "org_nope", ""} {
		if r := ada.post("/admin/switch", url.Values{"org": {org}}); r.code != http.StatusNotFound {
			t.Errorf("switch to %q = %d, want 404", org, r.code)
		}
	}
	if r := ada.post("/admin/switch", url.Values{"org": {f.other.ID}}, "Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
		t.Errorf("a cross-site switch = %d, want 403", r.code)
	}
	// An SSO org: its IdP, never a session from the password.
	r = ada.post("/admin/switch", url.Values{"org": {s.initech.ID}})
	if r.code != http.StatusFound || !strings.HasPrefix(r.loc, "/fake-idp/authorize") {
		t.Fatalf("switch to the SSO org = %d %q, want its IdP", r.code, r.loc)
	}
	if r := ada.get("/admin/users"); !strings.Contains(text(r.body), "Acme Hotels") {
		t.Fatalf("starting the SSO switch signed Ada out of Acme Hotels")
	}
	// An org without SSO after a password sign-in: a new session for it.
	if r = ada.post("/admin/switch", url.Values{"org": {f.other.ID}}); r.code != http.StatusSeeOther || r.loc != "/admin/users" {
		t.Fatalf("switch to Globex = %d %q %s", r.code, r.loc, text(r.body))
	}
	r = ada.get("/admin/users")
	if page = text(r.body); r.code != http.StatusOK || !strings.Contains(page, "Globex") || !strings.Contains(page, "gus@globex.example") || strings.Contains(page, "bob@acme.example") {
		t.Fatalf("after the switch the console is not Globex's:\n%s", page)
	}
	if r := ada.get("/admin/users/" + f.user.Account.ID); r.code != http.StatusNotFound {
		t.Errorf("Acme's user after the switch = %d, want 404", r.code)
	}
	if r := ada.api(http.MethodGet, "/api/orgs/"+f.org.ID+"/users", nil, nil); r.code != http.StatusNotFound && r.code != http.StatusForbidden {
		t.Errorf("Acme's API after the switch = %d, want 404", r.code)
	}
}

// TestOrgSwitcherAfterSSO: a session of an SSO sign-in does not open an
// org without SSO: its sign-in page, the email filled in.
func TestOrgSwitcherAfterSSO(t *testing.T) {
	s := newSwitchEnv(t)
	// Zoe, of Initech's domain, administers Initech and Acme Hotels.
	for _, org := range []string{s.initech.ID, s.f.org.ID} {
		_, err := s.st.CreateMember(s.ctx, store.SupportActor("test"), org, store.NewMember{Email: "zoe@initech.example", UserType: store.UserTypeSystemAdmin})
		s.must(err)
	}
	ada := s.browser()
	r := ada.post("/admin/switch", url.Values{"org": {s.initech.ID}})
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
		t.Fatalf("signed-out switch = %d %q, want /login", r.code, r.loc)
	}
	start := ada.post("/login", url.Values{"identifier": {"initech.example"}})
	if r = ada.idpReturn(start.loc, id("00u-zoe", "zoe@initech.example", true)); r.code != http.StatusSeeOther {
		t.Fatalf("SSO sign-in to Initech = %d %q %s", r.code, r.loc, text(r.body))
	}
	if r = ada.get("/admin/users"); r.code != http.StatusOK || !strings.Contains(text(r.body), "Initech") {
		t.Fatalf("Zoe is not in Initech's console: %d %s", r.code, text(r.body))
	}
	r = ada.post("/admin/switch", url.Values{"org": {s.f.org.ID}})
	want := "/login?" + url.Values{"org_hint": {s.f.org.ID}, "login_hint": {"zoe@initech.example"}, "return_to": {"/admin/users"}}.Encode()
	if r.code != http.StatusSeeOther || r.loc != want {
		t.Fatalf("switch after SSO = %d %q, want %q", r.code, r.loc, want)
	}
	if r = ada.get(r.loc); r.code != http.StatusOK || !strings.Contains(r.body, `value="zoe@initech.example"`) || !strings.Contains(text(r.body), "Acme Hotels") {
		t.Fatalf("the sign-in page = %d, want Acme's password form with Zoe's email:\n%s", r.code, text(r.body))
	}
	if r = ada.get("/admin/users"); !strings.Contains(text(r.body), "Initech") {
		t.Errorf("the refused switch ended the Initech session")
	}
}

// TestConsoleTestMessage: "Send me a test message" puts a message to the
// admin from the org's custom sender in the outbox, and says so.
func TestConsoleTestMessage(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u := newUsersEnv(t, e)
		if r := u.admin.get("/admin/settings"); !strings.Contains(r.body, `action="/admin/settings/test"`) {
			t.Fatalf("settings has no test message button:\n%s", text(r.body))
		}
		if r := u.admin.post("/admin/settings", url.Values{"senderName": {"Acme HR"}, "senderEmail": {"hr@acme.example"}}); r.code != http.StatusSeeOther {
			t.Fatalf("save sender = %d", r.code)
		}
		if r := u.admin.post("/admin/settings/test", nil, "Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
			t.Errorf("a cross-site test message = %d, want 403", r.code)
		}
		bob := e.browser()
		bob.mustSignIn("bob@acme.example", u.f.password)
		if r := bob.post("/admin/settings/test", nil); r.code != http.StatusSeeOther || r.loc != "/account" {
			t.Errorf("a plain user's test message = %d %q, want their account page", r.code, r.loc)
		}
		r := u.admin.post("/admin/settings/test", nil)
		if r.code != http.StatusSeeOther || r.loc != "/admin/settings?done=test" {
			t.Fatalf("test message = %d %q %s", r.code, r.loc, text(r.body))
		}
		ms, err := e.st.ListOutbox(e.ctx, "ada@acme.example")
		e.must(err)
		if len(ms) != 1 || ms[0].Kind != "test" || ms[0].FromName != "Acme HR" || ms[0].FromEmail != "hr@acme.example" {
			t.Fatalf("outbox to Ada = %+v, want one test message from Acme HR", ms)
		}
		if bs, _ := e.st.ListOutbox(e.ctx, "bob@acme.example"); len(bs) != 0 {
			t.Errorf("Bob's refused request wrote %d messages", len(bs))
		}
		if r = u.admin.get(r.loc); !strings.Contains(text(r.body), "A test message is on its way to ada@acme.example.") {
			t.Errorf("no confirmation:\n%s", text(r.body))
		}
	})
}

// TestConsoleDownloadConfirmation: Download asks first, naming the count
// and the file; the page works without JavaScript and keeps the filters.
func TestConsoleDownloadConfirmation(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	r := admin.get("/admin/users?q=acme&sort=email")
	if !strings.Contains(r.body, `href="/admin/users/download?q=acme&amp;sort=email" id="download"`) ||
		!strings.Contains(r.body, `<dialog id="download-dialog"`) || !strings.Contains(text(r.body), "Download 2 users as “Acme Hotels Users.xlsx”?") {
		t.Fatalf("the list's Download does not ask first:\n%s", r.body)
	}
	r = admin.get("/admin/users/download?q=bob&sort=email")
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Download 1 user as “Acme Hotels Users.xlsx”?") ||
		!strings.Contains(r.body, `href="/api/orgs/`+f.org.ID+`/users/export.xlsx?q=bob&amp;sort=email" id="download-yes" download`) ||
		!strings.Contains(r.body, `href="/admin/users?q=bob&amp;sort=email" id="download-no"`) {
		t.Fatalf("confirmation page = %d:\n%s", r.code, r.body)
	}
	if r = admin.get("/admin/users/download?status=gone"); r.code != http.StatusBadRequest {
		t.Errorf("a bad filter = %d, want 400", r.code)
	}
	req, _ := http.NewRequest(http.MethodGet, e.base+"/admin/users/download", nil)
	req.Header.Set("Accept-Language", "it")
	if r = admin.do(req); !strings.Contains(text(r.body), "Scaricare 2 utenti come “Acme Hotels Users.xlsx”?") {
		t.Errorf("the Italian confirmation:\n%s", text(r.body))
	}
	bob := e.browser()
	bob.mustSignIn("bob@acme.example", f.password)
	if r = bob.get("/admin/users/download"); r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Errorf("a plain user's download page = %d %q", r.code, r.loc)
	}
}

// TestRuleRefusalsInItalian: a rule's refusal on an Italian page is in
// Italian, with its arguments; the same on an English page and in the API
// stays English.
func TestRuleRefusalsInItalian(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	admin := e.browser()
	admin.mustSignIn("ada@acme.example", f.password)
	path := "/admin/users/" + f.user.Account.ID
	form := url.Values{"field": {"reportsRole"}, "value": {"viewer"}}
	r := admin.post(path, form, "Accept-Language", "it")
	if r.code != http.StatusConflict || !strings.Contains(r.body, "Il ruolo report viewer richiede una sottoscrizione professional o supervision") {
		t.Fatalf("the Italian refusal = %d:\n%s", r.code, text(r.body))
	}
	if r = admin.post(path, form); !strings.Contains(r.body, "The reports role viewer needs a professional or supervision subscription") {
		t.Errorf("the English refusal:\n%s", text(r.body))
	}
	// The Italian sign-in page: rule 11 with the org's name.
	e.enableSSO(f.org)
	b := e.browser()
	r = b.post("/login/password", url.Values{"email": {"bob@acme.example"}, "password": {f.password}, "org": {""}}, "Accept-Language", "it")
	if !strings.Contains(text(r.body), "Acme Hotels accede tramite SSO: inserisci il dominio della tua azienda") {
		t.Errorf("rule 11 on the Italian sign-in page = %d:\n%s", r.code, text(r.body))
	}
}
