package saml

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// Settings is a SAML connection's JSON (store.Connection.Settings).
type Settings struct {
	// IDPMetadataURL, when set, is where the IdP metadata is fetched from
	// (at Validate, and again by Refresh).
	IDPMetadataURL string `json:"idpMetadataUrl,omitempty"`
	// IDPMetadataXML is the IdP metadata, pasted or last fetched.
	IDPMetadataXML string `json:"idpMetadataXml,omitempty"`
	// AllowIDPInitiated accepts unsolicited responses (off by default).
	AllowIDPInitiated bool `json:"allowIdpInitiated,omitempty"`
	// JIT creates accounts on first sign-in (read by package web).
	JIT bool `json:"jit,omitempty"`
	// Attributes names the IdP's attributes for email and names; empty
	// entries fall back to the usual names (see defaultAttributes).
	Attributes Attributes `json:"attributes,omitzero"`
	// SPCertificate is our signing and encryption certificate (PEM), made
	// when the connection is created.
	SPCertificate string `json:"spCertificate,omitempty"`
	// SPKeySealed is our private key (PKCS#8), sealed with the server key.
	SPKeySealed string `json:"spPrivateKeySealed,omitempty"`
}

// Attributes maps IdP attribute names to identity fields.
type Attributes struct {
	Email      string `json:"email,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// maxMetadataBytes bounds pasted and fetched IdP metadata.
const maxMetadataBytes = 1 << 20

// ParseSettings reads a connection's settings JSON.
func ParseSettings(raw []byte) (Settings, error) {
	var s Settings
	if len(raw) == 0 {
		return s, errors.New("saml: empty settings")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("saml settings: %w", err)
	}
	return s, nil
}

// Public returns the settings without the sealed key, for admin pages and APIs.
func Public(raw []byte) ([]byte, error) {
	s, err := ParseSettings(raw)
	if err != nil {
		return nil, err
	}
	s.SPKeySealed = ""
	return json.Marshal(s)
}

// Validate implements sso.Provider: it fetches the IdP metadata when only a
// URL is given, checks it, and creates the connection's SP key pair the
// first time (an update that carries the stored spCertificate and
// spPrivateKeySealed keeps them).
func (p *Provider) Validate(ctx context.Context, raw []byte) ([]byte, error) {
	s, err := ParseSettings(raw)
	if err != nil {
		return nil, err
	}
	if s.IDPMetadataURL != "" {
		body, err := p.opt.Fetch.Fetch(ctx, s.IDPMetadataURL)
		if err != nil {
			return nil, fmt.Errorf("idp metadata: %w", err)
		}
		s.IDPMetadataXML = string(body)
	}
	if s.IDPMetadataXML == "" {
		return nil, errors.New("idp metadata: paste the XML or give its URL")
	}
	if _, err := parseIDPMetadata([]byte(s.IDPMetadataXML)); err != nil {
		return nil, err
	}
	if s.SPKeySealed == "" || s.SPCertificate == "" {
		if s.SPCertificate, s.SPKeySealed, err = p.newKeyPair(); err != nil {
			return nil, err
		}
	} else if _, _, err := p.openKeyPair(s); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// parseIDPMetadata accepts an EntityDescriptor, or an EntitiesDescriptor
// holding exactly one IdP, with a single sign-on endpoint and a signing certificate.
func parseIDPMetadata(data []byte) (*saml.EntityDescriptor, error) {
	if len(data) > maxMetadataBytes {
		return nil, fmt.Errorf("idp metadata: larger than %d bytes", maxMetadataBytes)
	}
	if err := checkXMLTokens(data, false); err != nil {
		return nil, fmt.Errorf("idp metadata: %w", err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(data, &ed); err != nil {
		var es saml.EntitiesDescriptor
		if err2 := xml.Unmarshal(data, &es); err2 != nil {
			return nil, fmt.Errorf("idp metadata: not SAML metadata: %w", err)
		}
		var idps []saml.EntityDescriptor
		for _, e := range es.EntityDescriptors {
			if len(e.IDPSSODescriptors) > 0 {
				idps = append(idps, e)
			}
		}
		if len(idps) != 1 {
			return nil, fmt.Errorf("idp metadata: want exactly one IdP, found %d", len(idps))
		}
		ed = idps[0]
	}
	if ed.EntityID == "" || len(ed.IDPSSODescriptors) == 0 {
		return nil, errors.New("idp metadata: no IDPSSODescriptor with an entityID")
	}
	var sso, cert bool
	for _, d := range ed.IDPSSODescriptors {
		for _, e := range d.SingleSignOnServices {
			if e.Binding == saml.HTTPRedirectBinding || e.Binding == saml.HTTPPostBinding {
				sso = true
			}
		}
		for _, k := range d.KeyDescriptors {
			if (k.Use == "" || k.Use == "signing") && len(k.KeyInfo.X509Data.X509Certificates) > 0 {
				cert = true
			}
		}
	}
	if !sso {
		return nil, errors.New("idp metadata: no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding")
	}
	if !cert {
		return nil, errors.New("idp metadata: no signing certificate")
	}
	return &ed, nil
}

// keyPurpose binds a sealed key to its certificate.
func keyPurpose(certDER []byte) string {
	h := sha256.Sum256(certDER)
	return "saml sp key " + hex.EncodeToString(h[:])
}

func (p *Provider) newKeyPair() (certPEM, sealed string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("sp key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "idbridge SAML SP"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", fmt.Errorf("sp certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("sp key: %w", err)
	}
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return certPEM, p.opt.Sealer.Seal(pk, keyPurpose(der)), nil
}

func (p *Provider) openKeyPair(s Settings) (*x509.Certificate, *rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s.SPCertificate))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, errors.New("saml settings: spCertificate is not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("saml settings: spCertificate: %w", err)
	}
	pk, err := p.opt.Sealer.Open(s.SPKeySealed, keyPurpose(block.Bytes))
	if err != nil {
		return nil, nil, fmt.Errorf("saml settings: sp key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(pk)
	if err != nil {
		return nil, nil, fmt.Errorf("saml settings: sp key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, errors.New("saml settings: sp key does not match spCertificate")
	}
	return cert, key, nil
}

// attribute returns the first value of the first present attribute among names.
func attribute(a *saml.Assertion, names ...string) string {
	for _, name := range names {
		if name == "" {
			continue
		}
		for _, st := range a.AttributeStatements {
			for _, at := range st.Attributes {
				if (at.Name == name || at.FriendlyName == name) && len(at.Values) > 0 {
					return strings.TrimSpace(at.Values[0].Value)
				}
			}
		}
	}
	return ""
}

var defaultAttributes = struct{ email, given, family []string }{
	email: []string{"email", "mail", "emailAddress", "urn:oid:0.9.2342.19200300.100.1.3",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
	given: []string{"givenName", "firstName", "given_name", "urn:oid:2.5.4.42",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"},
	family: []string{"sn", "surname", "lastName", "family_name", "urn:oid:2.5.4.4",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"},
}
