package saml

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dsig "github.com/russellhaering/goxmldsig"
)

// needPeer returns the path of an independent peer's binary, or skips the
// test saying why; with IDBRIDGE_REQUIRE_PEERS=1 (CI) it fails instead.
func needPeer(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("IDBRIDGE_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s is not installed (%s) and IDBRIDGE_REQUIRE_PEERS=1", name, install)
		}
		t.Skipf("%s is not installed; install it with: %s", name, install)
	}
	return path
}

const (
	sha1Sig    = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	sha1Digest = "http://www.w3.org/2000/09/xmldsig#sha1"
	sha256Dig  = "http://www.w3.org/2001/04/xmlenc#sha256"
)

// signXmlsec signs one standalone assertion with Debian's xmlsec1: an
// implementation independent of goxmldsig, so hostile documents are signed
// the way a real IdP's library would.
func (idp *testIdP) signXmlsec(t testing.TB, assertion, id, sigAlg, digestAlg string) string {
	t.Helper()
	bin := needPeer(t, "xmlsec1", "apt-get install -y xmlsec1")
	dir := t.TempDir()
	keyDER, _ := x509.MarshalPKCS8PrivateKey(idp.key)
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.cert.Raw}), 0o600)
	tmpl := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
		`<ds:SignatureMethod Algorithm="` + sigAlg + `"/><ds:Reference URI="#` + id + `"><ds:Transforms>` +
		`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
		`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
		`<ds:DigestMethod Algorithm="` + digestAlg + `"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
		`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
	in, out := filepath.Join(dir, "in.xml"), filepath.Join(dir, "out.xml")
	_ = os.WriteFile(in, []byte(strings.Replace(assertion, sigTemplatePlaceholder, tmpl, 1)), 0o600)
	// Relative names: xmlsec1 splits --privkey-pem at commas, which a
	// subtest's name (and so its temporary directory) may hold.
	cmd := exec.Command(bin, "--sign", "--privkey-pem", filepath.Base(keyFile)+","+filepath.Base(certFile),
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--output", out, in)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
	}
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	if i := strings.Index(s, "?>"); strings.HasPrefix(s, "<?xml") && i > 0 {
		s = s[i+2:]
	}
	return strings.TrimSpace(s)
}

func TestHostileResponsesSignedWithXmlsec1(t *testing.T) {
	f := newFixture(t, true)
	sign := func(r resp, sig, dig string) string {
		return f.idp.signXmlsec(t, r.assertionXML(), r.AssertionID, sig, dig)
	}
	ctx := context.Background()

	t.Run("control: an xmlsec1-signed SHA-256 assertion is accepted", func(t *testing.T) {
		r := resp{}.fill(f.p, f.c, f.idp)
		if _, err := f.p.Verify(ctx, f.c, []byte(r.responseXML(sign(r, dsig.RSASHA256SignatureMethod, sha256Dig))), "", ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SHA-1 signature", func(t *testing.T) {
		r := resp{}.fill(f.p, f.c, f.idp)
		_, err := f.p.Verify(ctx, f.c, []byte(r.responseXML(sign(r, sha1Sig, sha1Digest))), "", "")
		if !errors.Is(err, ErrWeakSignature) {
			t.Fatalf("err = %v, want ErrWeakSignature", err)
		}
	})
	t.Run("SHA-1 digest under a SHA-256 signature", func(t *testing.T) {
		r := resp{}.fill(f.p, f.c, f.idp)
		_, err := f.p.Verify(ctx, f.c, []byte(r.responseXML(sign(r, dsig.RSASHA256SignatureMethod, sha1Digest))), "", "")
		if !errors.Is(err, ErrWeakSignature) {
			t.Fatalf("err = %v, want ErrWeakSignature", err)
		}
	})
	t.Run("comment inside NameID", func(t *testing.T) {
		// The IdP signed "admin@example.com.evil.test"; a comment splits the
		// text so that a parser keeping one text node reads admin@example.com.
		r := resp{NameID: "admin@example.com.evil.test"}.fill(f.p, f.c, f.idp)
		signed := sign(r, dsig.RSASHA256SignatureMethod, sha256Dig)
		hostile := strings.Replace(signed, "admin@example.com.evil.test", "admin@example.com<!---->.evil.test", 1)
		_, err := f.p.Verify(ctx, f.c, []byte(r.responseXML(hostile)), "", "")
		if !errors.Is(err, ErrXMLComment) {
			t.Fatalf("err = %v, want ErrXMLComment", err)
		}
	})
	t.Run("two assertions", func(t *testing.T) {
		r1 := resp{NameID: "mallory@example.com"}.fill(f.p, f.c, f.idp)
		r2 := resp{NameID: "admin@example.com"}.fill(f.p, f.c, f.idp)
		doc := r1.responseXML(sign(r1, dsig.RSASHA256SignatureMethod, sha256Dig), sign(r2, dsig.RSASHA256SignatureMethod, sha256Dig))
		_, err := f.p.Verify(ctx, f.c, []byte(doc), "", "")
		if !errors.Is(err, ErrAssertionCount) {
			t.Fatalf("err = %v, want ErrAssertionCount", err)
		}
	})
	t.Run("signature wrapping", func(t *testing.T) {
		// The genuine signed assertion is hidden inside an evil one that
		// carries the same ID and the genuine signature (XSW).
		good := resp{NameID: "mallory@example.com"}.fill(f.p, f.c, f.idp)
		signed := sign(good, dsig.RSASHA256SignatureMethod, sha256Dig)
		evil := good
		evil.NameID = "admin@example.com"
		i := strings.Index(signed, "<ds:Signature")
		j := strings.Index(signed, "</ds:Signature>") + len("</ds:Signature>")
		sig := signed[i:j]
		wrapped := strings.Replace(evil.assertionXML(), sigTemplatePlaceholder,
			strings.Replace(sig, "</ds:Signature>", `<ds:Object>`+signed+`</ds:Object></ds:Signature>`, 1), 1)
		_, err := f.p.Verify(ctx, f.c, []byte(good.responseXML(wrapped)), "", "")
		if !errors.Is(err, ErrAssertionCount) {
			t.Fatalf("err = %v, want ErrAssertionCount", err)
		}
		// Defence in depth: past the structural check, goxmldsig's binding of
		// the reference to the signed element refuses it too.
		base, _, err := f.p.serviceProvider(f.c)
		if err != nil {
			t.Fatal(err)
		}
		sp := *base
		sp.AllowIDPInitiated = true
		if _, err := parse(&sp, []byte(good.responseXML(wrapped)), nil); err == nil {
			t.Fatal("the signature check accepted a wrapped assertion")
		}
	})
	t.Run("DOCTYPE", func(t *testing.T) {
		r := resp{}.fill(f.p, f.c, f.idp)
		doc := `<!DOCTYPE r [<!ENTITY x "y">]>` + r.responseXML(sign(r, dsig.RSASHA256SignatureMethod, sha256Dig))
		if _, err := f.p.Verify(ctx, f.c, []byte(doc), "", ""); !errors.Is(err, ErrXMLDoctype) {
			t.Fatalf("err = %v, want ErrXMLDoctype", err)
		}
	})
}

// TestSubjectNameIDShapes covers GO-2026-6909: crewjam/saml v0.5.1 took a
// NameID in any XML namespace as the subject, and the last of two (v0.6.3
// still keeps the last of two SAML NameIDs). Each hostile assertion is
// signed by the trusted IdP (with goxmldsig, and with xmlsec1 when
// installed), so only the reading of the Subject is tested: a Subject with
// a NameID outside the SAML assertion namespace, or with two, is refused
// (ErrSubjectShape), and never signs anyone in as admin@example.com.
func TestSubjectNameIDShapes(t *testing.T) {
	const (
		email   = `Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"`
		mallory = `<saml:NameID ` + email + `>mallory@example.com</saml:NameID>`
		foreign = `<x:NameID xmlns:x="urn:other" ` + email + `>admin@example.com</x:NameID>`
	)
	cases := []struct{ name, subjectID string }{
		{name: "only a NameID in another namespace", subjectID: foreign},
		{name: "SAML NameID, then one in another namespace", subjectID: mallory + foreign},
		{name: "NameID in another namespace, then the SAML one", subjectID: foreign + mallory},
		{name: "two SAML NameIDs", subjectID: mallory + `<saml:NameID ` + email + `>admin@example.com</saml:NameID>`},
	}
	signers := []struct {
		name string
		sign func(t *testing.T, idp *testIdP, r resp) string
	}{
		{"goxmldsig", func(t *testing.T, idp *testIdP, r resp) string {
			return idp.signGo(t, r.assertionXML(), dsig.RSASHA256SignatureMethod)
		}},
		{"xmlsec1", func(t *testing.T, idp *testIdP, r resp) string {
			return idp.signXmlsec(t, r.assertionXML(), r.AssertionID, dsig.RSASHA256SignatureMethod, sha256Dig)
		}},
	}
	for _, s := range signers {
		for _, tc := range cases {
			t.Run(s.name+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t, true)
				r := resp{SubjectID: tc.subjectID}.fill(f.p, f.c, f.idp)
				res, err := f.p.Verify(context.Background(), f.c, []byte(r.responseXML(s.sign(t, f.idp, r))), "", "")
				if err == nil {
					t.Fatalf("accepted as %+v", res.Identity)
				}
				if !errors.Is(err, ErrSubjectShape) {
					t.Fatalf("err = %v, want ErrSubjectShape", err)
				}
			})
		}
	}
}

// TestAssertionWithoutIssuer: crewjam/saml v0.5.1 dereferenced a missing
// assertion Issuer (GO-2026-6909). A signed assertion without one is refused
// with an error, by crewjam itself (no panic to recover) and by Verify.
func TestAssertionWithoutIssuer(t *testing.T) {
	f := newFixture(t, true)
	doc := signedResponse(t, f.p, f.c, f.idp, resp{NoIssuer: true})
	base, _, err := f.p.serviceProvider(f.c)
	if err != nil {
		t.Fatal(err)
	}
	sp := *base
	sp.AllowIDPInitiated = true
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("crewjam panicked on an assertion without Issuer: %v", v)
			}
		}()
		if _, err := sp.ParseXMLResponse(doc, nil, sp.AcsURL); err == nil {
			t.Fatal("crewjam accepted an assertion without Issuer")
		}
	}()
	if _, err := f.p.Verify(context.Background(), f.c, doc, "", ""); err == nil {
		t.Fatal("Verify accepted an assertion without Issuer")
	}
}
