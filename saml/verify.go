package saml

import (
	"fmt"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
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
// through checkXMLTokens), then lets goxmldsig verify, and checks the
// Subject of every assertion the signature covers (checkSubjects). As a
// SignedElementVerifier it hands crewjam what the signature covers, which
// crewjam then reads instead of the element as received.
type verifier struct{}

var _ saml.SignedElementVerifier = verifier{}

func (v verifier) VerifySignature(vc *dsig.ValidationContext, el *etree.Element) error {
	_, err := v.VerifySignedElement(vc, el)
	return err
}

func (verifier) VerifySignedElement(vc *dsig.ValidationContext, el *etree.Element) (*etree.Element, error) {
	if err := checkSignatureShape(el); err != nil {
		return nil, err
	}
	if hasComment(el) {
		return nil, ErrXMLComment
	}
	signed, err := vc.Validate(el)
	if err != nil {
		return nil, fmt.Errorf("saml: signature: %w", err)
	}
	if err := checkSubjects(signed); err != nil {
		return nil, err
	}
	return signed, nil
}

// checkSubjects checks the assertion el, or each assertion directly under
// the response el. encoding/xml, which crewjam reads assertions with, keeps
// the last of repeated elements, and crewjam v0.5.1 matched NameID in any
// namespace (GO-2026-6909); the schema allows at most one Subject holding
// at most one identifier (BaseID, NameID or EncryptedID) and then
// SubjectConfirmations, all in the SAML assertion namespace. Anything else
// is refused rather than read one way or another.
func checkSubjects(el *etree.Element) error {
	assertions := []*etree.Element{el}
	if el.Tag != "Assertion" {
		assertions = assertions[:0]
		for _, c := range el.ChildElements() {
			if c.Tag == "Assertion" && c.NamespaceURI() == nsAssertion {
				assertions = append(assertions, c)
			}
		}
	}
	for _, a := range assertions {
		subjects := 0
		for _, s := range a.ChildElements() {
			if s.Tag != "Subject" {
				continue
			}
			if subjects++; subjects > 1 || s.NamespaceURI() != nsAssertion {
				return ErrSubjectShape
			}
			ids := 0
			for _, c := range s.ChildElements() {
				if c.NamespaceURI() != nsAssertion {
					return ErrSubjectShape
				}
				switch c.Tag {
				case "BaseID", "NameID", "EncryptedID":
					if ids++; ids > 1 {
						return ErrSubjectShape
					}
				case "SubjectConfirmation":
				default:
					return ErrSubjectShape
				}
			}
		}
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
