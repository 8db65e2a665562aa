// Package web serves the people-facing pages and the admin JSON API.
//
// The flow of a sign-in: /login asks for an email or a company domain; the
// org comes from its verified domain (store.OrgForSignIn). An org with SSO on
// sends the browser to its connection's IdP through the sso.Provider of that
// connection's kind (a chooser when several connections may be used); the
// provider verifies what comes back and calls FinishSSO, which finds the
// account by its (connection, subject) link (store.LinkSSOIdentity), records
// the sign-in and starts a session for that org only. An org without SSO gets
// the password form (store.PasswordSignIn: lockout and rule 11 live there).
//
// Sessions are server-side (store.CreateSession); the browser holds a random
// id in an HttpOnly, SameSite=Lax cookie, Secure (and __Host- prefixed) when
// the base URL is https. Every state-changing route of this package is behind
// net/http's CrossOriginProtection; the providers' callbacks are not (the SAML
// ACS POST is cross-site by design and carries its own checks).
//
// The admin API (/api/orgs/{org}/...) is for the org's enabled system admins
// signed in to that org; another org's id answers 404. Errors are JSON
// {"error": "...", "rule": N}, mapped from store errors in one function
// (errorStatus). Password sign-in and reset requests are rate-limited per
// account and per client IP with in-memory token buckets (per replica); a
// refused sign-in (429, or 503 when the store's hashing queue is full,
// store.ErrBusy) is answered after Options.RejectHold, so a client looping on
// refusals cannot turn them into thousands of requests a second.
//
// An admin's test sign-in (rule 12) starts from a button on /account (a POST
// to the admin API); the provider keeps, in its server-side flow state, a
// return path naming the admin, so FinishSSO records the test for that admin
// even where the session cookie does not come along (the cross-site SAML
// POST), and shows what the IdP asserted.
//
// FromConfig is the server's wiring: this Web as the sso.Finisher of the
// saml and oidc providers. Tests use New with their own providers.
//
// Web decides nothing about accounts: every rule is the store's.
package web
