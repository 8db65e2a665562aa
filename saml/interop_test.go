package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idbridge/idbridge/saml/samlpeer"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

// TestInteropSimpleSAMLphpSignedResponse and ...EncryptedAssertion sign in
// through SimpleSAMLphp from Debian (PHP's xmlseclibs, independent of
// goxmldsig): our signed AuthnRequest (validate.authnrequest), its login
// form driven by a Go client with a cookie jar, the auto-POST to our ACS.
func TestInteropSimpleSAMLphpSignedResponse(t *testing.T) { interopSSP(t, false) }

func TestInteropSimpleSAMLphpEncryptedAssertion(t *testing.T) { interopSSP(t, true) }

func interopSSP(t *testing.T, encrypt bool) {
	samlpeer.Need(t)

	// Our SP on a real port.
	st, fin := ssotest.NewStore(), &ssotest.Recorder{}
	p, spBase := ssotest.StartSP(t, func(base string) (*Provider, error) {
		return New(st, fin, Options{BaseURL: base, Sealer: ssotest.Sealer(t), Fetch: sso.FetchOptions{AllowPrivate: true}})
	})

	// The IdP: a config dir made here, php's built-in server.
	idp, err := samlpeer.Start(t.TempDir(), []samlpeer.User{{Username: "alice", Password: "alicepw",
		Email: "alice@example.com", GivenName: "Alice", FamilyName: "Liddell"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		idp.Close()
		if t.Failed() {
			t.Logf("php log:\n%s", idp.Log())
		}
	}()

	// The connection: metadata fetched by URL (loopback allowed for the test).
	connID := uuid.NewString()
	raw, _ := json.Marshal(Settings{IDPMetadataURL: idp.MetadataURL})
	settings, err := p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: connID, OrgID: uuid.NewString(), Kind: store.ConnectionSAML, Settings: settings, UpdatedAt: time.Now()}
	st.Put(c)
	s, _ := ParseSettings(settings)
	if err := idp.AddSP(p.EntityID(c.ID), p.ACSURL(c.ID), s.SPCertificate, encrypt); err != nil {
		t.Fatal(err)
	}

	w := httptest.NewRecorder()
	if err := p.Start(w, httptest.NewRequest("GET", "/login", nil), c, "/account", false); err != nil {
		t.Fatal(err)
	}
	jar := ssotest.Browser(t, w, spBase) // the browser that started the flow
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	t0 := time.Now()
	resp, err := client.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	page := ssotest.ReadBody(t, resp) // the login form
	if !strings.Contains(page, "AuthState") {
		t.Fatalf("no login form at %s (%d):\n%s", resp.Request.URL, resp.StatusCode, page)
	}
	resp = ssotest.SubmitForm(t, client, resp.Request.URL, page, map[string]string{"username": "alice", "password": "alicepw"})
	page = ssotest.ReadBody(t, resp) // the auto-POST form to our ACS
	m := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no SAMLResponse form (%d):\n%s", resp.StatusCode, page)
	}
	doc, _ := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if got := bytes.Contains(doc, []byte("EncryptedAssertion")); got != encrypt {
		t.Fatalf("EncryptedAssertion present = %v, want %v", got, encrypt)
	}
	resp = ssotest.SubmitForm(t, client, resp.Request.URL, page, nil)
	_ = ssotest.ReadBody(t, resp)
	elapsed := time.Since(t0)
	if len(fin.Results) != 1 {
		t.Fatalf("no sign-in: status %d, errors %v", resp.StatusCode, fin.Errs)
	}
	res := fin.Results[0]
	want := sso.Identity{Subject: "alice@example.com", Email: "alice@example.com", EmailVerified: true, GivenName: "Alice", FamilyName: "Liddell"}
	if res.Identity != want || res.ReturnTo != "/account" {
		t.Fatalf("result = %+v, want %+v", res, want)
	}
	t.Logf("SimpleSAMLphp round trip (login page, login, ACS): %s", elapsed)

	// The same SAMLResponse posted again is refused.
	resp, err = client.PostForm(p.ACSURL(c.ID), url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	_ = ssotest.ReadBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || len(fin.Results) != 1 {
		t.Fatalf("replayed SAMLResponse: status %d, results %d", resp.StatusCode, len(fin.Results))
	}
}
