// Package oidc is idbridge's OpenID Connect relying party, one per
// connection, on github.com/coreos/go-oidc/v3 and golang.org/x/oauth2.
//
// The flow: an admin adds a connection with the issuer, client id and
// secret (Validate: discovery with size and time limits and non-public
// addresses refused unless the operator allows them; the secret sealed with
// IDBRIDGE_SECRET_KEY, never stored in clear, logged or returned). Start
// saves a flow in the store under a hash of a random state, holding the
// nonce, the PKCE verifier and the hash of the secret in the browser's flow
// cookie (sso.Binding), and redirects to the authorization endpoint with the
// S256 challenge. The one redirect URI per connection is
// <base>/oidc/<id>/callback, where: the state's flow is consumed once (and
// must belong to this connection and come from the browser holding its
// cookie, checked before the code is redeemed); the RFC 9207 iss parameter must be our
// issuer (and present when the OP advertises it); the code is exchanged with
// the verifier; go-oidc checks the ID token's issuer, signature, audience and
// expiry; we check the nonce, azp, and that userinfo speaks of the same sub.
// email_verified counts only when it is JSON true. Then the sso.Finisher
// gets the verified identity.
package oidc
