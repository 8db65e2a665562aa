package saml

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

const sspWWW = "/usr/share/simplesamlphp/www"

// TestInteropSimpleSAMLphpSignedResponse and ...EncryptedAssertion sign in
// through SimpleSAMLphp from Debian (PHP's xmlseclibs, independent of
// goxmldsig): our signed AuthnRequest (validate.authnrequest), its login
// form driven by a Go client with a cookie jar, the auto-POST to our ACS.
func TestInteropSimpleSAMLphpSignedResponse(t *testing.T) { interopSSP(t, false) }

func TestInteropSimpleSAMLphpEncryptedAssertion(t *testing.T) { interopSSP(t, true) }

func interopSSP(t *testing.T, encrypt bool) {
	php, err := exec.LookPath("php")
	if err == nil {
		_, err = os.Stat(sspWWW)
	}
	if err != nil {
		install := "apt-get install -y --no-install-recommends simplesamlphp php-cli php-xml"
		if os.Getenv("IDBRIDGE_REQUIRE_PEERS") == "1" {
			t.Fatalf("SimpleSAMLphp is not installed (%s) and IDBRIDGE_REQUIRE_PEERS=1: %v", install, err)
		}
		t.Skipf("SimpleSAMLphp is not installed (%v); install it with: %s", err, install)
	}

	// Our SP on a real port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	st, fin := newMemStore(), &recorder{}
	p, err := New(st, fin, Options{BaseURL: base, Sealer: testSealer(t), Fetch: sso.FetchOptions{AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	router := chi.NewRouter()
	p.Mount(router)
	srv := httptest.NewUnstartedServer(router)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	// The IdP: a config dir made here, php's built-in server.
	port := freePort(t)
	idpURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	dir := t.TempDir()
	idp := newTestIdP(t)
	writeSSPConfig(t, dir, idpURL, idp)
	cmd := exec.Command(php, "-S", fmt.Sprintf("127.0.0.1:%d", port), "-t", sspWWW)
	cmd.Env = append(os.Environ(), "SIMPLESAMLPHP_CONFIG_DIR="+filepath.Join(dir, "config"))
	var phpLog bytes.Buffer
	cmd.Stdout, cmd.Stderr = &phpLog, &phpLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("php log:\n%s", phpLog.String())
		}
	}()
	metadataURL := idpURL + "/saml2/idp/metadata.php"
	waitHTTP(t, metadataURL)

	// The connection: metadata fetched by URL (loopback allowed for the test).
	connID := uuid.NewString()
	raw, _ := json.Marshal(Settings{IDPMetadataURL: metadataURL})
	settings, err := p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: connID, OrgID: uuid.NewString(), Kind: store.ConnectionSAML, Settings: settings, UpdatedAt: time.Now()}
	st.conns[c.ID] = c
	s, _ := ParseSettings(settings)
	writeSPRemote(t, dir, p.EntityID(c.ID), p.ACSURL(c.ID), s.SPCertificate, encrypt)

	w := httptest.NewRecorder()
	if err := p.Start(w, httptest.NewRequest("GET", "/login", nil), c, "/account", false); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	t0 := time.Now()
	resp, err := client.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp) // the login form
	if !strings.Contains(page, "AuthState") {
		t.Fatalf("no login form at %s (%d):\n%s", resp.Request.URL, resp.StatusCode, page)
	}
	resp = submitForm(t, client, resp.Request.URL, page, map[string]string{"username": "alice", "password": "alicepw"})
	page = readBody(t, resp) // the auto-POST form to our ACS
	m := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no SAMLResponse form (%d):\n%s", resp.StatusCode, page)
	}
	doc, _ := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if got := bytes.Contains(doc, []byte("EncryptedAssertion")); got != encrypt {
		t.Fatalf("EncryptedAssertion present = %v, want %v", got, encrypt)
	}
	resp = submitForm(t, client, resp.Request.URL, page, nil)
	_ = readBody(t, resp)
	elapsed := time.Since(t0)
	if len(fin.results) != 1 {
		t.Fatalf("no sign-in: status %d, errors %v", resp.StatusCode, fin.errs)
	}
	res := fin.results[0]
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
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || len(fin.results) != 1 {
		t.Fatalf("replayed SAMLResponse: status %d, results %d", resp.StatusCode, len(fin.results))
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHTTP(t *testing.T, u string) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 15s", u)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSSPConfig writes config.php, authsources.php and the hosted IdP.
func writeSSPConfig(t *testing.T, dir, idpURL string, idp *testIdP) {
	for _, d := range []string{"log", "data", "tmp", "sessions"} {
		_ = os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(idp.key)
	writeFile(t, filepath.Join(dir, "cert", "idp.key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	writeFile(t, filepath.Join(dir, "cert", "idp.crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.cert.Raw})))
	writeFile(t, filepath.Join(dir, "config", "config.php"), fmt.Sprintf(`<?php
$config = [
    'baseurlpath' => '%s/',
    'certdir' => '%[2]s/cert/',
    'loggingdir' => '%[2]s/log/',
    'datadir' => '%[2]s/data/',
    'tempdir' => '%[2]s/tmp/',
    'metadatadir' => '%[2]s/metadata/',
    'secretsalt' => 'idbridge-interop-salt',
    'auth.adminpassword' => 'interop-admin',
    'technicalcontact_name' => 'idbridge tests',
    'technicalcontact_email' => 'tests@example.com',
    'timezone' => 'UTC',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => '%[2]s/sessions',
    'session.cookie.secure' => false,
    'logging.handler' => 'errorlog',
    'logging.level' => SimpleSAML\Logger::WARNING,
    'metadata.sources' => [['type' => 'flatfile']],
];
`, idpURL, dir))
	writeFile(t, filepath.Join(dir, "config", "authsources.php"), `<?php
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:alicepw' => ['email' => ['alice@example.com'], 'givenName' => ['Alice'], 'sn' => ['Liddell']],
    ],
];
`)
	writeFile(t, filepath.Join(dir, "metadata", "saml20-idp-hosted.php"), `<?php
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'example-userpass',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'email',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
];
`)
	writeFile(t, filepath.Join(dir, "metadata", "saml20-sp-remote.php"), "<?php\n")
}

// writeSPRemote registers our SP with the IdP.
func writeSPRemote(t *testing.T, dir, entityID, acs, certPEM string, encrypt bool) {
	block, _ := pem.Decode([]byte(certPEM))
	writeFile(t, filepath.Join(dir, "metadata", "saml20-sp-remote.php"), fmt.Sprintf(`<?php
$metadata['%s'] = [
    'AssertionConsumerService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'Location' => '%s']],
    'certData' => '%s',
    'validate.authnrequest' => true,
    'sign.response' => true,
    'sign.assertion' => true,
    'assertion.encryption' => %v,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'email',
];
`, entityID, acs, base64.StdEncoding.EncodeToString(block.Bytes), encrypt))
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input([^>]*)>`)
	attrRe  = regexp.MustCompile(`(?is)\b(name|value)="([^"]*)"`)
)

// submitForm posts the first form of page (relative to base) with its
// inputs, overridden by fields, and returns the response.
func submitForm(t *testing.T, client *http.Client, base *url.URL, page string, fields map[string]string) *http.Response {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	vals := url.Values{}
	for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
		var name, value string
		for _, a := range attrRe.FindAllStringSubmatch(in[1], -1) {
			if strings.EqualFold(a[1], "name") {
				name = html.UnescapeString(a[2])
			} else {
				value = html.UnescapeString(a[2])
			}
		}
		if name != "" {
			vals.Set(name, value)
		}
	}
	for k, v := range fields {
		vals.Set(k, v)
	}
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.PostForm(action.String(), vals)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
