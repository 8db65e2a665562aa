package samlpeer

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/sso/ssotest"
)

// WWW is where Debian's simplesamlphp package installs the web root.
const WWW = "/usr/share/simplesamlphp/www"

// Install is the command that installs the peer.
const Install = "apt-get install -y --no-install-recommends simplesamlphp php-cli php-xml"

// User is one exampleauth:UserPass account of the IdP.
type User struct {
	Username, Password, Email, GivenName, FamilyName string
}

// IdP is a running SimpleSAMLphp.
type IdP struct {
	URL         string // http://127.0.0.1:<port>
	MetadataURL string // the IdP's metadata

	dir string
	ssotest.Process
}

// Available reports why SimpleSAMLphp cannot run here (nil when it can).
func Available() error {
	if _, err := exec.LookPath("php"); err != nil {
		return err
	}
	_, err := os.Stat(WWW)
	return err
}

// Need skips t when SimpleSAMLphp is not installed, saying why and how to
// install it; with IDBRIDGE_REQUIRE_PEERS=1 (CI) it fails t instead.
func Need(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv("IDBRIDGE_REQUIRE_PEERS") == "1" {
		t.Fatalf("SimpleSAMLphp is not installed (%s) and IDBRIDGE_REQUIRE_PEERS=1: %v", Install, err)
	}
	t.Skipf("SimpleSAMLphp is not installed (%v); install it with: %s", err, Install)
}

// Start writes a config directory under dir and starts php -S on a free
// 127.0.0.1 port, waiting until the metadata answers. Close stops it.
func Start(dir string, users []User) (*IdP, error) {
	php, err := exec.LookPath("php")
	if err != nil {
		return nil, err
	}
	port, err := ssotest.FreePort()
	if err != nil {
		return nil, err
	}
	p := &IdP{URL: fmt.Sprintf("http://127.0.0.1:%d", port), dir: dir}
	p.MetadataURL = p.URL + "/saml2/idp/metadata.php"
	if err := p.writeConfig(users); err != nil {
		return nil, err
	}
	p.Cmd = exec.Command(php, "-S", fmt.Sprintf("127.0.0.1:%d", port), "-t", WWW)
	p.Cmd.Env = append(os.Environ(), "SIMPLESAMLPHP_CONFIG_DIR="+filepath.Join(dir, "config"))
	p.Cmd.Stdout, p.Cmd.Stderr = &p.Process, &p.Process
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitHTTP(p.MetadataURL, 15*time.Second); err != nil {
		p.Close()
		return nil, fmt.Errorf("%w; php log:\n%s", err, p.Log())
	}
	return p, nil
}

// AddSP registers a service provider (replacing any earlier one): its entity
// ID, ACS (HTTP-POST) and signing certificate in PEM; responses and
// assertions signed with RSA-SHA256, AuthnRequests validated, assertions
// encrypted when encrypt is set.
func (p *IdP) AddSP(entityID, acs, certPEM string, encrypt bool) error {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return errors.New("samlpeer: SP certificate is not PEM")
	}
	return writeFile(filepath.Join(p.dir, "metadata", "saml20-sp-remote.php"), fmt.Sprintf(`<?php
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
`, php(entityID), php(acs), base64.StdEncoding.EncodeToString(block.Bytes), encrypt))
}

// php quotes s for a single-quoted PHP string.
func php(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

func (p *IdP) writeConfig(users []User) error {
	dir := p.dir
	for _, d := range []string{"log", "data", "tmp", "sessions"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	keyPEM, certPEM, err := newKeyPair()
	if err != nil {
		return err
	}
	var us strings.Builder
	for _, u := range users {
		fmt.Fprintf(&us, "        '%s:%s' => ['email' => ['%s'], 'givenName' => ['%s'], 'sn' => ['%s']],\n",
			php(u.Username), php(u.Password), php(u.Email), php(u.GivenName), php(u.FamilyName))
	}
	files := map[string]string{
		"cert/idp.key": keyPEM,
		"cert/idp.crt": certPEM,
		"config/config.php": fmt.Sprintf(`<?php
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
`, p.URL, php(dir)),
		"config/authsources.php": `<?php
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
` + us.String() + `    ],
];
`,
		"metadata/saml20-idp-hosted.php": `<?php
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
`,
		"metadata/saml20-sp-remote.php": "<?php\n",
	}
	for name, content := range files {
		if err := writeFile(filepath.Join(dir, name), content); err != nil {
			return err
		}
	}
	return nil
}

// newKeyPair makes the IdP's RSA key and a self-signed certificate.
func newKeyPair() (keyPEM, certPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "samlpeer idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func waitHTTP(u string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("samlpeer: %s did not answer 200 within %s", u, limit)
}
