// Package storetest is the conformance suite every store.Backend runs: each
// Store method over a real database, the account rules of product.md both ways
// (with the rows unchanged, and no audit entry or email written, after a
// refusal), another org's isolation in every case, paging and filters, and races
// run with real goroutines.
//
// A backend's test calls Run with a constructor:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Backend { return openMigrated(t) })
//	}
//
// Run calls the constructor once and shares the backend between subtests, so
// every subtest makes its own company, orgs and people with random names.
package storetest

import (
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
)

// test is one subtest of the suite.
type test struct {
	name string
	fn   func(e *env)
	// epoch, when set, starts the subtest's clock there. The outbox subtests
	// claim messages service-wide, so each runs alone at its own time, years
	// before the others' messages are due.
	epoch time.Time
}

// parallelTests run side by side, each with its own Store and clock.
var parallelTests = concat(orgTests, memberTests, listTests, emailTests, accessTests,
	signInTests, ssoTests, ssoFlowTests, sessionTests, groupTests, tokenTests, auditTests, scimTests, crossCompanyTests,
	appTests, eventTests, scimLogTests, testMailTests)

// serialTests run one at a time: the outbox claims and the races.
var serialTests = concat(outboxTests, raceTests, settingsTests, appSerialTests, eventSerialTests, scimLogSerialTests, bulkJobTests)

func concat(lists ...[]test) []test {
	var out []test
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Run runs the conformance suite on the backend newBackend returns, a migrated
// database; newBackend closes it in t.Cleanup.
func Run(t *testing.T, newBackend func(t *testing.T) store.Backend) {
	b := newBackend(t)
	if err := b.Ready(t.Context()); err != nil {
		t.Fatalf("backend not ready: %v", err)
	}
	// A group returns only when its parallel subtests are done, so the serial
	// ones never overlap them.
	t.Run("store", func(t *testing.T) {
		for _, tc := range parallelTests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(newEnv(t, b, tc.epoch))
			})
		}
	})
	t.Run("serial", func(t *testing.T) {
		for _, tc := range serialTests {
			t.Run(tc.name, func(t *testing.T) { tc.fn(newEnv(t, b, tc.epoch)) })
		}
	})
}
