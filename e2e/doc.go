// Package e2e holds idbridge's real-browser tests: the real server
// (server.New on SQLite) on loopback, the independent IdP peers
// (saml/samlpeer, oidc/oidcpeer) and Debian's Chromium driven with chromedp.
// It has no code of its own besides the tests.
package e2e
