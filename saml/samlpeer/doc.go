// Package samlpeer starts SimpleSAMLphp from Debian as an independent SAML
// identity provider on 127.0.0.1 for idbridge's tests (see
// shared/docs/security.md, "Independent peers for tests"): it writes a
// config directory (exampleauth:UserPass users, a hosted IdP with a fresh
// key, flat-file metadata) and serves it with php's built-in server.
//
// It is used by saml's interop tests and the e2e browser tests; nothing in
// the product imports it.
package samlpeer
