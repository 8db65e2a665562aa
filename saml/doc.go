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
// flow in the store under the request id, with a random RelayState handle.
//
// At the ACS (Verify): the size is capped; the raw XML is read as tokens
// first (no DOCTYPE, no comments, exactly one assertion directly under the
// Response); crewjam checks signature, issuer, destination, recipient,
// times, status and InResponseTo; our hooks refuse SHA-1 and odd signature
// shapes and require the audience to be this connection's entity id; an
// unsolicited response is refused unless the connection allows IdP-initiated
// sign-in; the flow is consumed once (and must belong to this connection and
// match the RelayState); the assertion id is recorded in the store so the
// same response fails the second time, on any replica. Only then does the
// sso.Finisher get the verified identity (NameID and mapped attributes).
// A RelayState from an unsolicited response is used only as a local path.
package saml
