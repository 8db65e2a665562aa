package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	maxXMLDepth = 48
)

// Errors of the structural checks; each is a refusal, never a parse detail.
var (
	ErrXMLDoctype        = errors.New("saml: DOCTYPE and entity declarations are refused")
	ErrXMLComment        = errors.New("saml: XML comments and processing instructions are refused in a response")
	ErrAssertionCount    = errors.New("saml: a response must carry exactly one assertion, directly under Response")
	ErrNotResponse       = errors.New("saml: the document is not a samlp:Response")
	ErrWeakSignature     = errors.New("saml: only RSA or ECDSA signatures with SHA-256 or stronger are accepted")
	ErrSignatureShape    = errors.New("saml: the signature must reference the element that carries it, once")
	ErrUnsolicited       = errors.New("saml: unsolicited response refused: IdP-initiated sign-in is off for this connection")
	ErrUnknownRequest    = errors.New("saml: the response answers no sign-in started here (unknown, used or expired request)")
	ErrReplay            = errors.New("saml: this assertion was already used")
	ErrWrongAudience     = errors.New("saml: the assertion's audience is not this connection")
	ErrResponseTooLarge  = errors.New("saml: SAMLResponse too large")
	ErrRelayStateInvalid = errors.New("saml: RelayState does not belong to this sign-in")
	ErrNoBearer          = errors.New("saml: the assertion needs a bearer SubjectConfirmation with its data (recipient)")
	ErrSubjectShape      = errors.New("saml: the assertion's Subject must hold one identifier (NameID) and SubjectConfirmations, all in the SAML assertion namespace")
)

// checkXMLTokens reads the whole document as tokens before any XML library
// builds a tree from it. Always: no DOCTYPE (no entities), bounded depth.
// For a response (strict): no comments or processing instructions (a
// comment inside NameID is invisible to exclusive canonicalization, so text
// around it could be read differently from what was signed), the root is
// samlp:Response, and exactly one Assertion or EncryptedAssertion exists in
// the whole document, as a direct child of the root: a second one hidden in
// Extensions, an Object or another assertion is how signature wrapping works.
func checkXMLTokens(data []byte, strict bool) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, assertions, first := 0, 0, true
	for {
		tok, err := d.Token() // resolves namespace prefixes, checks nesting
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("saml: malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return ErrXMLDoctype
		case xml.Comment:
			if strict {
				return ErrXMLComment
			}
		case xml.ProcInst:
			if strict && !(first && t.Target == "xml") {
				return ErrXMLComment
			}
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return errors.New("saml: XML nested too deeply")
			}
			if !strict {
				break
			}
			space := t.Name.Space
			if depth == 1 && (space != nsProtocol || t.Name.Local != "Response") {
				return ErrNotResponse
			}
			if space == nsAssertion && (t.Name.Local == "Assertion" || t.Name.Local == "EncryptedAssertion") {
				assertions++
				if depth != 2 {
					return ErrAssertionCount
				}
			}
		case xml.EndElement:
			depth--
		}
		if _, ok := tok.(xml.CharData); !ok {
			first = false
		}
	}
	if strict && assertions != 1 {
		return ErrAssertionCount
	}
	return nil
}
