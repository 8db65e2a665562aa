package saml

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/sso/ssotest"
	"github.com/idbridge/idbridge/store"
)

const testBase = "https://idbridge.test"

func newTestProvider(t testing.TB, st Store, fin sso.Finisher) *Provider {
	t.Helper()
	p, err := New(st, fin, Options{BaseURL: testBase, Sealer: ssotest.Sealer(t), Fetch: sso.FetchOptions{AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testIdP signs responses with a fresh key and certificate.
type testIdP struct {
	entityID string
	key      *rsa.PrivateKey
	cert     *x509.Certificate
}

func newTestIdP(t testing.TB) *testIdP {
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
	return &testIdP{entityID: "https://idp.test/metadata", key: key, cert: cert}
}

func (idp *testIdP) metadata() string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.test/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`, idp.entityID, base64.StdEncoding.EncodeToString(idp.cert.Raw))
}

// addConnection validates settings for idp through p and stores the connection.
func addConnection(t testing.TB, p *Provider, st *ssotest.Store, idp *testIdP, allowIdPInitiated bool) store.Connection {
	t.Helper()
	raw, _ := json.Marshal(Settings{IDPMetadataXML: idp.metadata(), AllowIDPInitiated: allowIdPInitiated})
	settings, err := p.Validate(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Connection{ID: uuid.NewString(), OrgID: uuid.NewString(), Kind: store.ConnectionSAML, Name: "idp",
		Settings: settings, UpdatedAt: time.Now()}
	st.Put(c)

	return c
}

// resp describes one response; zero fields get valid defaults from fill.
type resp struct {
	ResponseID, AssertionID, InResponseTo, Destination, Recipient, Audience, Issuer, NameID string
	IssueInstant, NotOnOrAfter                                                              time.Time
	NoAudience, NoSubjectConfirmation, NoIssuer                                             bool
	ExtraAttr                                                                               string
	// SubjectID, when set, replaces the Subject's saml:NameID element (raw XML).
	SubjectID string
}

func (r resp) fill(p *Provider, c store.Connection, idp *testIdP) resp {
	now := time.Now().UTC()
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&r.ResponseID, "_r"+uuid.NewString())
	def(&r.AssertionID, "_a"+uuid.NewString())
	def(&r.Destination, p.ACSURL(c.ID))
	def(&r.Recipient, p.ACSURL(c.ID))
	def(&r.Audience, p.EntityID(c.ID))
	def(&r.Issuer, idp.entityID)
	def(&r.NameID, "alice@example.com")
	if r.IssueInstant.IsZero() {
		r.IssueInstant = now
	}
	if r.NotOnOrAfter.IsZero() {
		r.NotOnOrAfter = r.IssueInstant.Add(5 * time.Minute)
	}
	return r
}

const samlTime = "2006-01-02T15:04:05Z"

func (r resp) assertionXML() string {
	inResp := ""
	if r.InResponseTo != "" {
		inResp = fmt.Sprintf(` InResponseTo="%s"`, r.InResponseTo)
	}
	sc := fmt.Sprintf(`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%s" Recipient="%s"%s/></saml:SubjectConfirmation>`,
		r.NotOnOrAfter.Format(samlTime), r.Recipient, inResp)
	if r.NoSubjectConfirmation {
		sc = ""
	}
	issuer := `<saml:Issuer>` + r.Issuer + `</saml:Issuer>`
	if r.NoIssuer {
		issuer = ""
	}
	subjectID := `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">` + r.NameID + `</saml:NameID>`
	if r.SubjectID != "" {
		subjectID = r.SubjectID
	}
	aud := fmt.Sprintf(`<saml:AudienceRestriction><saml:Audience>%s</saml:Audience></saml:AudienceRestriction>`, r.Audience)
	if r.NoAudience {
		aud = ""
	}
	return fmt.Sprintf(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s">`+
		`%s%s`+
		`<saml:Subject>%s`+
		`%s</saml:Subject>`+
		`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s">%s</saml:Conditions>`+
		`<saml:AuthnStatement AuthnInstant="%s"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`+
		`<saml:AttributeStatement><saml:Attribute Name="givenName"><saml:AttributeValue>Alice</saml:AttributeValue></saml:Attribute>`+
		`<saml:Attribute Name="sn"><saml:AttributeValue>Liddell</saml:AttributeValue></saml:Attribute>%s</saml:AttributeStatement>`+
		`</saml:Assertion>`,
		r.AssertionID, r.IssueInstant.Format(samlTime), issuer, sigTemplatePlaceholder, subjectID,
		sc,
		r.IssueInstant.Add(-time.Minute).Format(samlTime), r.NotOnOrAfter.Format(samlTime), aud,
		r.IssueInstant.Format(samlTime), r.ExtraAttr)
}

// sigTemplatePlaceholder marks where xmlsec1's signature template goes.
const sigTemplatePlaceholder = "<!--SIG-->"

func (r resp) responseXML(assertions ...string) string {
	inResp := ""
	if r.InResponseTo != "" {
		inResp = fmt.Sprintf(` InResponseTo="%s"`, r.InResponseTo)
	}
	return fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s"%s>`+
		`<saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>%s</samlp:Response>`,
		r.ResponseID, r.IssueInstant.Format(samlTime), r.Destination, inResp, r.Issuer, strings.Join(assertions, ""))
}

// signGo signs an assertion with goxmldsig (method: a dsig signature method).
func (idp *testIdP) signGo(t testing.TB, assertion, method string) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(strings.Replace(assertion, sigTemplatePlaceholder, "", 1)); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(idp.key, [][]byte{idp.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(method); err != nil {
		t.Fatal(err)
	}
	signed, err := ctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	out := etree.NewDocument()
	out.SetRoot(signed)
	s, err := out.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedResponse is a valid response for c, its assertion signed with SHA-256.
func signedResponse(t testing.TB, p *Provider, c store.Connection, idp *testIdP, r resp) []byte {
	r = r.fill(p, c, idp)
	return []byte(r.responseXML(idp.signGo(t, r.assertionXML(), dsig.RSASHA256SignatureMethod)))
}
