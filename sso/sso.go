// Package sso is the small contract between the sign-in web pages (package
// web) and the protocol packages (saml, oidc): a Provider starts a sign-in at
// a connection's IdP and, when the browser comes back to its own callback URL
// and every check passed, hands a verified Result to the Finisher. The
// Finisher (web) links the identity to an account through the store, starts
// the session, or records a successful test sign-in (rule 12).
package sso

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/store"
)

// Identity is what an IdP asserted about a person, after verification.
type Identity struct {
	// Subject is the IdP's stable identifier: the SAML NameID or the OIDC sub.
	Subject       string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
}

// Result is a verified sign-in at one connection.
type Result struct {
	Connection store.Connection
	Identity   Identity
	// ReturnTo is a relative path on idbridge chosen when the flow started
	// (never a raw RelayState), or "".
	ReturnTo string
	// Test is true for an admin's test sign-in (rule 12).
	Test bool
}

// Finisher completes verified sign-ins and reports failed ones.
type Finisher interface {
	FinishSSO(w http.ResponseWriter, r *http.Request, res Result)
	// FailSSO shows a readable error; err never reaches the browser verbatim
	// when it is internal.
	FailSSO(w http.ResponseWriter, r *http.Request, c store.Connection, err error)
}

// Provider is one protocol (SAML or OIDC).
type Provider interface {
	// Kind is the connection kind this provider serves.
	Kind() store.ConnectionKind
	// Start sends the browser to the connection's IdP. returnTo must already be
	// a checked relative path.
	Start(w http.ResponseWriter, r *http.Request, c store.Connection, returnTo string, test bool) error
	// Mount adds the provider's callback routes (SAML: /saml/{connection}/metadata
	// and /acs; OIDC: /oidc/{connection}/callback) to r.
	Mount(r chi.Router)
	// Validate checks a connection's settings JSON before it is stored, and may
	// complete it (for example fetch IdP metadata from a URL).
	Validate(ctx context.Context, settings []byte) ([]byte, error)
}

// CheckProvider checks what every Provider's options need, the server's
// sealer and an absolute base URL, and returns the base URL without its
// trailing slash. pkg prefixes the errors ("saml", "oidc").
func CheckProvider(pkg, baseURL string, sealer *Sealer) (string, error) {
	if sealer == nil {
		return "", fmt.Errorf("%s: a Sealer (the server secret key) is required", pkg)
	}
	if u, err := url.Parse(baseURL); err != nil || baseURL == "" || !u.IsAbs() {
		return "", fmt.Errorf("%s: invalid base URL %q", pkg, baseURL)
	}
	return strings.TrimRight(baseURL, "/"), nil
}
