// Package saml is idbridge's SAML 2.0 service provider, one per connection,
// on github.com/crewjam/saml.
//
// The flow: an admin adds a connection with the IdP metadata pasted or
// fetched from a URL (Validate: size and time limits, non-public addresses
// refused unless the operator allows them); Validate also makes the
// connection's own RSA key pair, the private key sealed with the server's
// IDBRIDGE_SECRET_KEY. Each connection has its own entity id
// (<base>/saml/<id>/metadata, which serves our metadata) and ACS URL
// (<base>/saml/<id>/acs). Start sends a signed AuthnRequest and saves the
// flow in the store under the request id, with a random RelayState handle
// and the hash of the secret in the browser's flow cookie (sso.Binding:
// SameSite=None on https, since the IdP's POST is cross-site).
//
// At the ACS (Verify): the size is capped; the raw XML is read as tokens
// first (no DOCTYPE, no comments, exactly one assertion directly under the
// Response); crewjam checks signature, issuer, destination, recipient,
// times, status and InResponseTo; our hooks refuse SHA-1 and odd signature
// shapes and require the audience to be this connection's entity id; an
// unsolicited response is refused unless the connection allows IdP-initiated
// sign-in; the flow is consumed once (and must belong to this connection,
// match the RelayState and come from the browser holding its cookie); the
// Subject must hold one NameID in the SAML namespace; the assertion id is recorded in the store so the
// same response fails the second time, on any replica. Only then does the
// sso.Finisher get the verified identity (NameID and mapped attributes).
// A RelayState from an unsolicited response is used only as a local path.
package saml
