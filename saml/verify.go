package saml

import (
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// strongSignatures are the signature methods accepted: SHA-1 and MD5 are not.
var strongSignatures = map[string]bool{
	dsig.RSASHA256SignatureMethod:   true,
	dsig.RSASHA384SignatureMethod:   true,
	dsig.RSASHA512SignatureMethod:   true,
	dsig.ECDSASHA256SignatureMethod: true,
	dsig.ECDSASHA384SignatureMethod: true,
	dsig.ECDSASHA512SignatureMethod: true,
}

var strongDigests = map[string]bool{
	"http://www.w3.org/2001/04/xmlenc#sha256":       true,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
	"http://www.w3.org/2001/04/xmlenc#sha512":       true,
}

// verifier is crewjam's SignatureVerifier hook: every signature crewjam
// checks (the response's, a plain assertion's, a decrypted assertion's)
// passes here first. It refuses weak algorithms and odd shapes, and
// comments inside the signed element (decrypted assertions never went
// through checkXMLTokens), then lets goxmldsig verify.
type verifier struct{}

func (verifier) VerifySignature(vc *dsig.ValidationContext, el *etree.Element) error {
	if err := checkSignatureShape(el); err != nil {
		return err
	}
	if hasComment(el) {
		return ErrXMLComment
	}
	if _, err := vc.Validate(el); err != nil {
		return fmt.Errorf("saml: signature: %w", err)
	}
	return nil
}

func checkSignatureShape(el *etree.Element) error {
	var sigs []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsig.Namespace {
			sigs = append(sigs, c)
		}
	}
	if len(sigs) != 1 {
		return ErrSignatureShape
	}
	si := sigs[0].FindElement("./SignedInfo")
	if si == nil {
		return ErrSignatureShape
	}
	sm := si.FindElement("./SignatureMethod")
	if sm == nil || !strongSignatures[sm.SelectAttrValue("Algorithm", "")] {
		return ErrWeakSignature
	}
	refs := si.FindElements("./Reference")
	if len(refs) != 1 || refs[0].SelectAttrValue("URI", "") != "#"+el.SelectAttrValue("ID", "\x00") {
		return ErrSignatureShape
	}
	dm := refs[0].FindElement("./DigestMethod")
	if dm == nil || !strongDigests[dm.SelectAttrValue("Algorithm", "")] {
		return ErrWeakSignature
	}
	return nil
}

func hasComment(el *etree.Element) bool {
	for _, t := range el.Child {
		switch c := t.(type) {
		case *etree.Comment, *etree.ProcInst:
			return true
		case *etree.Element:
			if hasComment(c) {
				return true
			}
		}
	}
	return false
}
