// Package store is idbridge's domain: the entities (companies, orgs, accounts,
// memberships, groups, SSO connections, SCIM tokens, sessions, one-time tokens,
// the audit log and the mail outbox), the account rules of product.md as plain
// functions, and Store, the one door every change goes through.
//
// The flow of a change: a protocol package (scim, saml, oidc, the admin API, the
// CLI) calls a Store method with an explicit Actor and org. Store opens one
// transaction on its Backend, loads the rows the rule needs (locking them), calls
// the rule, writes the change, the audit entry and any notification in that same
// transaction, and commits. A refused change returns a *RuleError and writes
// nothing. Backends (store/postgres, store/sqlite) implement Backend and Tx:
// storage only, no rules. store/storetest is the conformance suite both run.
//
// store imports no transport and no driver.
package store
