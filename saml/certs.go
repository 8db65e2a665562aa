package saml

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
)

// IDPCertificates returns the IdP's signing certificates from a SAML
// connection's settings (its stored metadata), for the console's expiry
// warning.
func IDPCertificates(raw []byte) ([]*x509.Certificate, error) {
	s, err := ParseSettings(raw)
	if err != nil {
		return nil, err
	}
	ed, err := parseIDPMetadata([]byte(s.IDPMetadataXML))
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, d := range ed.IDPSSODescriptors {
		for _, k := range d.KeyDescriptors {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return nil, fmt.Errorf("idp metadata: certificate: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("idp metadata: certificate: %w", err)
				}
				out = append(out, cert)
			}
		}
	}
	return out, nil
}
