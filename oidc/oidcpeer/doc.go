// Package oidcpeer starts node oidc-provider (oidc/testdata/op) as an
// independent OpenID Provider on 127.0.0.1 for idbridge's tests (see
// shared/docs/security.md, "Independent peers for tests"). Its dev login
// form takes any password for the accounts in op.mjs (alice).
//
// It is used by oidc's interop tests and the e2e browser tests; nothing in
// the product imports it.
package oidcpeer
