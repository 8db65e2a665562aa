package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// idp is crewjam's IdentityProvider in-process, signing with RSA-SHA256;
// whoever it signs in is set by the test.
type idp struct {
	t   *testing.T
	srv *httptest.Server
	idp *crewjam.IdentityProvider
	mu  sync.Mutex
	who string
}

func newIdP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &idp{t: t}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	mu, _ := url.Parse(p.srv.URL + "/metadata")
	su, _ := url.Parse(p.srv.URL + "/sso")
	p.idp = &crewjam.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *mu, SSOURL: *su, Logger: logger.DefaultLogger,
		SignatureMethod: dsig.RSASHA256SignatureMethod, ServiceProviderProvider: p, SessionProvider: p}
	mux.HandleFunc("/sso", p.idp.ServeSSO)
	return p
}

func (p *idp) metadataXML() string {
	b, err := xml.Marshal(p.idp.Metadata())
	if err != nil {
		p.t.Fatal(err)
	}
	return string(b)
}

// GetServiceProvider fetches our SP metadata from its URL (the entity id).
func (p *idp) GetServiceProvider(_ *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	res, err := http.Get(id)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var ed crewjam.EntityDescriptor
	return &ed, xml.Unmarshal(b, &ed)
}

func (p *idp) GetSession(_ http.ResponseWriter, _ *http.Request, _ *crewjam.IdpAuthnRequest) *crewjam.Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	return &crewjam.Session{ID: "s-" + p.who, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: p.who, NameIDFormat: string(crewjam.EmailAddressNameIDFormat), UserEmail: p.who}
}

var formRe = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)".*?name="SAMLResponse" value="([^"]*)".*?name="RelayState" value="([^"]*)"`)

// signIn plays the IdP for who: it takes our answer to the start of a
// sign-in (a redirect, or a form POST binding) and returns the IdP's
// self-submitting form's target and fields.
func (p *idp) signIn(start resp, who string) (string, url.Values) {
	p.t.Helper()
	p.mu.Lock()
	p.who = who
	p.mu.Unlock()
	var res *http.Response
	var err error
	if start.code/100 == 3 {
		res, err = http.Get(start.loc)
	} else if m := regexp.MustCompile(`(?s)action="([^"]+)".*?name="SAMLRequest" value="([^"]*)".*?name="RelayState" value="([^"]*)"`).FindStringSubmatch(start.body); m != nil {
		res, err = http.PostForm(html.UnescapeString(m[1]), url.Values{"SAMLRequest": {html.UnescapeString(m[2])}, "RelayState": {html.UnescapeString(m[3])}})
	} else {
		p.t.Fatalf("start of the SAML sign-in = %d %q", start.code, text(start.body))
	}
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := formRe.FindStringSubmatch(string(b))
	if m == nil {
		p.t.Fatalf("the IdP answered %d %q", res.StatusCode, b)
	}
	return html.UnescapeString(m[1]), url.Values{"SAMLResponse": {html.UnescapeString(m[2])}, "RelayState": {html.UnescapeString(m[3])}}
}

// The pages with the real SAML provider and crewjam's IdP: the ACS POST is
// cross-site, so it carries no session cookie, and the admin's test sign-in
// is still recorded for that admin; then a member signs in through SSO.
func TestSAMLThroughTheRealProvider(t *testing.T) {
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

	acs, form := p.signIn(admin.post(base+"/connections/"+id+"/test", nil), "ada@acme.example")
	idpOrigin := p.srv.URL
	r := admin.crossSitePost(acs, form, idpOrigin) // without the session cookie
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Test sign-in succeeded") || !strings.Contains(r.body, "ada@acme.example") {
		t.Fatalf("ACS of the test = %d %q", r.code, text(r.body))
	}
	if r := admin.api(http.MethodPost, base+"/sso/enable", map[string]string{"connectionId": id}, nil); r.code != http.StatusOK {
		t.Fatalf("enable = %d %s", r.code, r.body)
	}

	b := e.browser()
	acs, form = p.signIn(b.post("/login", url.Values{"identifier": {"bob@acme.example"}}), "bob@acme.example")
	r = b.crossSitePost(acs, form, idpOrigin)
	if r.code != http.StatusSeeOther || r.loc != "/account" || !strings.Contains(r.h.Get("Set-Cookie"), "SameSite=Lax") {
		t.Fatalf("ACS = %d %q %q", r.code, r.loc, text(r.body))
	}
	if r := b.get("/account"); r.code != http.StatusOK || !strings.Contains(r.body, "bob@acme.example") {
		t.Fatalf("GET /account = %d", r.code)
	}
	if m, _ := e.st.GetMember(e.ctx, f.org.ID, f.user.Account.ID); m.Status() != store.StatusActive {
		t.Fatalf("bob is %s after the SSO sign-in, want active", m.Status())
	}
	// The same response posted again is refused (replay).
	if r := b.crossSitePost(acs, form, idpOrigin); r.code == http.StatusSeeOther {
		t.Fatal("a replayed SAMLResponse signed in")
	}

	// Login CSRF: a response the IdP made for the attacker's browser, posted
	// by the victim's browser (a hidden form on the attacker's page), does
	// not sign the victim in as the attacker.
	attacker, victim := e.browser(), e.browser()
	acs, form = p.signIn(attacker.post("/login", url.Values{"identifier": {"bob@acme.example"}}), "bob@acme.example")
	r = victim.crossSitePost(acs, form, "https://attacker.example")
	if r.code != http.StatusForbidden || !strings.Contains(text(r.body), "started in another browser") || strings.Contains(strings.Join(r.h.Values("Set-Cookie"), " "), "idb_session") {
		t.Fatalf("response of another browser's flow = %d %q %q", r.code, text(r.body), r.h.Values("Set-Cookie"))
	}
	if r := victim.get("/account"); r.code == http.StatusOK {
		t.Fatal("the victim's browser is signed in after posting another browser's SAMLResponse")
	}
}

// crossSitePost posts a form as a browser does when another site's page
// (the IdP's) submits it: with the cookies that go cross-site, the flows'
// binding cookies (SameSite=None on https), and not the session cookie
// (SameSite=Lax). Cookies set by the answer are kept.
func (b *browser) crossSitePost(target string, form url.Values, origin string) resp {
	b.e.t.Helper()
	u, _ := url.Parse(b.url(target))
	req, _ := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.Contains(c.Name, "idbridge_flow_") {
			req.AddCookie(c)
		}
	}
	client := &http.Client{CheckRedirect: b.c.CheckRedirect}
	res, err := client.Do(req)
	if err != nil {
		b.e.t.Fatalf("POST %s: %v", u, err)
	}
	defer res.Body.Close()
	b.c.Jar.SetCookies(u, res.Cookies())
	body, _ := io.ReadAll(res.Body)
	return resp{code: res.StatusCode, body: string(body), loc: res.Header.Get("Location"), h: res.Header}
}
