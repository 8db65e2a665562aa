package saml

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/go-chi/chi/v5"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

type fixture struct {
	st  *ssotest.Store
	fin *ssotest.Recorder
	p   *Provider
	idp *testIdP
	c   store.Connection
}

func newFixture(t testing.TB, allowIdPInitiated bool) *fixture {
	f := &fixture{st: ssotest.NewStore(), fin: &ssotest.Recorder{}, idp: newTestIdP(t)}
	f.p = newTestProvider(t, f.st, f.fin)
	f.c = addConnection(t, f.p, f.st, f.idp, allowIdPInitiated)
	return f
}

// start runs Start and returns the AuthnRequest id, the RelayState and the
// cookie that binds the flow to the browser.
func (f *fixture) start(t testing.TB, c store.Connection, returnTo string) (id, relay string, browser *http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	if err := f.p.Start(w, httptest.NewRequest("GET", "/login", nil), c, returnTo, false); err != nil {
		t.Fatal(err)
	}
	if cs := w.Result().Cookies(); len(cs) != 1 {
		t.Fatalf("Start set %d cookies, want the browser binding", len(cs))
	} else {
		browser = cs[0]
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || w.Code != http.StatusFound {
		t.Fatalf("Start: %d %q", w.Code, w.Header().Get("Location"))
	}
	q := loc.Query()
	if q.Get("SigAlg") != dsig.RSASHA256SignatureMethod || q.Get("Signature") == "" {
		t.Fatalf("AuthnRequest not signed with RSA-SHA256: %v", q)
	}
	raw, _ := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	xmlReq, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		ID  string `xml:",attr"`
		ACS string `xml:"AssertionConsumerServiceURL,attr"`
	}
	if err := xml.Unmarshal(xmlReq, &req); err != nil {
		t.Fatal(err)
	}
	if req.ACS != f.p.ACSURL(c.ID) {
		t.Fatalf("ACS URL = %q, want %q", req.ACS, f.p.ACSURL(c.ID))
	}
	return req.ID, q.Get("RelayState"), browser
}

func TestSPInitiatedSignIn(t *testing.T) {
	f := newFixture(t, false)
	id, relay, browser := f.start(t, f.c, "/reports?x=1")
	res, err := f.p.Verify(context.Background(), f.c, signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: id}), relay, browser.Value)
	if err != nil {
		t.Fatal(err)
	}
	if res.Identity.Subject != "alice@example.com" || res.Identity.Email != "alice@example.com" ||
		res.Identity.GivenName != "Alice" || res.Identity.FamilyName != "Liddell" || res.ReturnTo != "/reports?x=1" {
		t.Fatalf("result = %+v", res)
	}
}

// TestFlowBoundToBrowser: login CSRF. An SP-initiated flow finishes only
// with the binding cookie of the browser that started it; any other
// browser is refused, and the flow is spent.
func TestFlowBoundToBrowser(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		browser func(own, other *http.Cookie) string
	}{
		{"a browser without the cookie", func(_, _ *http.Cookie) string { return "" }},
		{"a browser with its own flow's cookie", func(_, other *http.Cookie) string { return other.Value }},
		{"a forged cookie", func(_, _ *http.Cookie) string { return sso.RandomToken(32) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			id, relay, own := f.start(t, f.c, "")
			_, _, other := f.start(t, f.c, "")
			doc := signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: id})
			if _, err := f.p.Verify(ctx, f.c, doc, relay, tc.browser(own, other)); !errors.Is(err, sso.ErrOtherBrowser) {
				t.Fatalf("err = %v, want sso.ErrOtherBrowser", err)
			}
			if _, err := f.p.Verify(ctx, f.c, doc, relay, own.Value); !errors.Is(err, ErrUnknownRequest) {
				t.Fatalf("after the refusal: err = %v, want ErrUnknownRequest (the flow is spent)", err)
			}
		})
	}
	t.Run("the browser that started it", func(t *testing.T) {
		f := newFixture(t, false)
		_, _, _ = f.start(t, f.c, "") // another flow in another tab
		id, relay, own := f.start(t, f.c, "/account")
		res, err := f.p.Verify(ctx, f.c, signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: id}), relay, own.Value)
		if err != nil || res.ReturnTo != "/account" {
			t.Fatalf("result %+v, err = %v", res, err)
		}
	})
}

// TestBindingCookie: the IdP's POST to the ACS is cross-site, so on https
// the cookie is SameSite=None (and Secure); browsers refuse SameSite=None
// without Secure, so on http it is SameSite=Lax. It goes to the ACS only.
func TestBindingCookie(t *testing.T) {
	for _, tc := range []struct {
		base     string
		secure   bool
		sameSite http.SameSite
		prefix   string
	}{
		{base: testBase, secure: true, sameSite: http.SameSiteNoneMode, prefix: "__Secure-idbridge_flow_"},
		{base: "http://127.0.0.1:8080", secure: false, sameSite: http.SameSiteLaxMode, prefix: "idbridge_flow_"},
	} {
		t.Run(tc.base, func(t *testing.T) {
			st := ssotest.NewStore()
			p, err := New(st, &ssotest.Recorder{}, Options{BaseURL: tc.base, Sealer: ssotest.Sealer(t)})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{p: p, st: st, idp: newTestIdP(t)}
			f.c = addConnection(t, p, st, f.idp, false)
			_, _, ck := f.start(t, f.c, "")
			if !strings.HasPrefix(ck.Name, tc.prefix) || ck.Secure != tc.secure || ck.SameSite != tc.sameSite ||
				!ck.HttpOnly || ck.Path != "/saml/"+f.c.ID+"/acs" || ck.MaxAge != 600 || len(ck.Value) < 40 {
				t.Fatalf("cookie = %+v", ck)
			}
		})
	}
}

// acsServer serves the provider's routes over HTTP and returns f.c's ACS URL.
func (f *fixture) acsServer(t *testing.T) string {
	r := chi.NewRouter()
	f.p.Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/saml/" + f.c.ID + "/acs"
}

// postACS posts a form to the ACS with the browser's cookies and returns
// the status.
func postACS(t *testing.T, acs string, form url.Values, cookies ...*http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest("POST", acs, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func responseForm(doc []byte, relay string) url.Values {
	return url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}, "RelayState": {relay}}
}

// TestIdPInitiatedNeedsNoBrowserCookie: when the connection allows
// IdP-initiated sign-in, an unsolicited response has no flow to bind and
// signs in without a cookie.
func TestIdPInitiatedNeedsNoBrowserCookie(t *testing.T) {
	f := newFixture(t, true)
	code := postACS(t, f.acsServer(t), responseForm(signedResponse(t, f.p, f.c, f.idp, resp{}), "/account"))
	if code != http.StatusNoContent || len(f.fin.Results) != 1 || f.fin.Results[0].ReturnTo != "/account" {
		t.Fatalf("unsolicited POST: %d, errors %v", code, f.fin.Errs)
	}
}

func TestACSOverHTTP(t *testing.T) {
	f := newFixture(t, false)
	acs := f.acsServer(t)
	id, relay, browser := f.start(t, f.c, "")
	doc := signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: id})
	// Another browser posting a flow's response (login CSRF) is refused.
	otherID, otherRelay, _ := f.start(t, f.c, "")
	otherDoc := signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: otherID})
	if code := postACS(t, acs, responseForm(otherDoc, otherRelay)); code != http.StatusForbidden || len(f.fin.Errs) != 1 || !errors.Is(f.fin.Errs[0], sso.ErrOtherBrowser) {
		t.Fatalf("POST from another browser: %d, errors %v", code, f.fin.Errs)
	}
	f.fin.Errs = nil
	if code := postACS(t, acs, responseForm(doc, relay), browser); code != http.StatusNoContent || len(f.fin.Results) != 1 {
		t.Fatalf("first POST: %d, errors %v", code, f.fin.Errs)
	}
	// The same SAMLResponse posted twice: the request id is single-use.
	if code := postACS(t, acs, responseForm(doc, relay), browser); code != http.StatusForbidden || !errors.Is(f.fin.Errs[0], ErrUnknownRequest) {
		t.Fatalf("replayed POST: %d, errors %v", code, f.fin.Errs)
	}
	postACS(t, acs, url.Values{"SAMLResponse": {strings.Repeat("A", 400<<10)}})
	if !errors.Is(f.fin.Errs[len(f.fin.Errs)-1], ErrResponseTooLarge) {
		t.Fatalf("oversized SAMLResponse: %v", f.fin.Errs)
	}
}

func TestReplayIdPInitiated(t *testing.T) {
	f := newFixture(t, true)
	doc := signedResponse(t, f.p, f.c, f.idp, resp{})
	if _, err := f.p.Verify(context.Background(), f.c, doc, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Verify(context.Background(), f.c, doc, "", ""); !errors.Is(err, ErrReplay) {
		t.Fatalf("second use: err = %v, want ErrReplay", err)
	}
}

func TestChecksRefuse(t *testing.T) {
	past := time.Now().UTC().Add(-20 * time.Minute)
	cases := []struct {
		name string
		r    resp
		want error // nil: any error
		// crewjam (v0.6) refuses it first with an error of its own (alt).
		alt error
	}{
		{name: "missing audience", r: resp{NoAudience: true}, want: ErrWrongAudience},
		{name: "wrong audience", r: resp{Audience: "https://other.test/sp"}, want: ErrWrongAudience},
		{name: "expired assertion", r: resp{IssueInstant: past, NotOnOrAfter: past.Add(5 * time.Minute)}},
		{name: "no SubjectConfirmation (no recipient)", r: resp{NoSubjectConfirmation: true}, want: ErrNoBearer, alt: saml.ErrMissingElement},
		{name: "wrong recipient", r: resp{Recipient: testBase + "/saml/other/acs"}},
		{name: "wrong issuer", r: resp{Issuer: "https://evil.test/idp"}},
		{name: "unknown request id", r: resp{InResponseTo: "id-never-sent"}, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true)
			_, err := f.p.Verify(context.Background(), f.c, signedResponse(t, f.p, f.c, f.idp, tc.r), "", "")
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want) && (tc.alt == nil || !errors.Is(err, tc.alt))) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnsolicitedRefusedWhenIdPInitiatedOff(t *testing.T) {
	f := newFixture(t, false)
	_, err := f.p.Verify(context.Background(), f.c, signedResponse(t, f.p, f.c, f.idp, resp{}), "", "")
	if !errors.Is(err, ErrUnsolicited) {
		t.Fatalf("err = %v, want ErrUnsolicited", err)
	}
}

func TestIdPInitiatedKeepsInResponseToChecked(t *testing.T) {
	f := newFixture(t, true)
	// An assertion answering a request that this SP never made.
	r := resp{}.fill(f.p, f.c, f.idp)
	r.InResponseTo = "id-other"
	a := f.idp.signGo(t, r.assertionXML(), dsig.RSASHA256SignatureMethod)
	r.InResponseTo = ""
	if _, err := f.p.Verify(context.Background(), f.c, []byte(r.responseXML(a)), "", ""); !errors.Is(err, ErrUnknownRequest) {
		t.Fatalf("err = %v, want ErrUnknownRequest", err)
	}
}

func TestResponseForAnotherConnection(t *testing.T) {
	f := newFixture(t, false)
	other := addConnection(t, f.p, f.st, f.idp, false) // same IdP, second connection
	id, relay, browser := f.start(t, f.c, "")
	doc := signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: id})
	if _, err := f.p.Verify(context.Background(), other, doc, relay, browser.Value); err == nil {
		t.Fatal("a response for connection A was accepted at connection B's ACS")
	}
	// Even addressed to B, a flow started at A is not B's.
	id, relay, browser = f.start(t, f.c, "")
	docB := signedResponse(t, f.p, other, f.idp, resp{InResponseTo: id})
	if _, err := f.p.Verify(context.Background(), other, docB, relay, browser.Value); !errors.Is(err, ErrUnknownRequest) {
		t.Fatalf("flow of A at B: err = %v, want ErrUnknownRequest", err)
	}
}

func TestRelayState(t *testing.T) {
	t.Run("off-site RelayState of an unsolicited response is dropped", func(t *testing.T) {
		for _, rs := range []string{"https://evil.test/x", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"} {
			f := newFixture(t, true)
			res, err := f.p.Verify(context.Background(), f.c, signedResponse(t, f.p, f.c, f.idp, resp{}), rs, "")
			if err != nil || res.ReturnTo != "" {
				t.Fatalf("RelayState %q: ReturnTo = %q, err = %v", rs, res.ReturnTo, err)
			}
		}
	})
	t.Run("local RelayState of an unsolicited response is kept", func(t *testing.T) {
		f := newFixture(t, true)
		res, err := f.p.Verify(context.Background(), f.c, signedResponse(t, f.p, f.c, f.idp, resp{}), "/account", "")
		if err != nil || res.ReturnTo != "/account" {
			t.Fatalf("ReturnTo = %q, err = %v", res.ReturnTo, err)
		}
	})
	t.Run("SP-initiated RelayState must be the flow's handle", func(t *testing.T) {
		f := newFixture(t, false)
		id, _, browser := f.start(t, f.c, "/account")
		_, err := f.p.Verify(context.Background(), f.c, signedResponse(t, f.p, f.c, f.idp, resp{InResponseTo: id}), "https://evil.test/", browser.Value)
		if !errors.Is(err, ErrRelayStateInvalid) {
			t.Fatalf("err = %v, want ErrRelayStateInvalid", err)
		}
	})
}

func TestMetadataPerConnection(t *testing.T) {
	f := newFixture(t, false)
	r := chi.NewRouter()
	f.p.Mount(r)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/saml/"+f.c.ID+"/metadata", nil))
	body := w.Body.String()
	for _, want := range []string{`entityID="` + f.p.EntityID(f.c.ID) + `"`, `Location="` + f.p.ACSURL(f.c.ID) + `"`,
		`use="signing"`, `use="encryption"`, `AuthnRequestsSigned="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "HTTP-Artifact") {
		t.Error("metadata offers the artifact binding")
	}
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/saml/nope/metadata", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("unknown connection: %d", w.Code)
	}
}

func TestAttributeMapping(t *testing.T) {
	st, fin := ssotest.NewStore(), &ssotest.Recorder{}
	p := newTestProvider(t, st, fin)
	idp := newTestIdP(t)
	c := addConnection(t, p, st, idp, true)
	s, _ := ParseSettings(c.Settings)
	s.Attributes = Attributes{Email: "workEmail", GivenName: "first", FamilyName: "last"}
	c.Settings, _ = json.Marshal(s)
	c.UpdatedAt = c.UpdatedAt.Add(time.Second)
	extra := `<saml:Attribute Name="workEmail"><saml:AttributeValue>a.liddell@example.com</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="first"><saml:AttributeValue>Al</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="last"><saml:AttributeValue>L.</saml:AttributeValue></saml:Attribute>`
	res, err := p.Verify(context.Background(), c, signedResponse(t, p, c, idp, resp{NameID: "opaque-id-42", ExtraAttr: extra}), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if id := res.Identity; id.Subject != "opaque-id-42" || id.Email != "a.liddell@example.com" || id.GivenName != "Al" || id.FamilyName != "L." {
		t.Fatalf("identity = %+v", id)
	}
}
