package web

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
)

// TestItalianRules: every refuse(...) template of package store has its
// Italian, with the same verbs in the same order, and a sentence made
// from it comes out in Italian with its arguments.
func TestItalianRules(t *testing.T) {
	rules := map[string]store.Rule{"RuleSSOEmailLocked": store.RuleSSOEmailLocked, "RuleEmailSyntax": store.RuleEmailSyntax,
		"RuleEmailOtherCompany": store.RuleEmailOtherCompany, "RuleEmailManyOrgs": store.RuleEmailManyOrgs, "RuleOldEmailRetired": store.RuleOldEmailRetired,
		"RuleSubscriptionAdmins": store.RuleSubscriptionAdmins, "RuleReportsRole": store.RuleReportsRole, "RuleNames": store.RuleNames,
		"RuleInvitations": store.RuleInvitations, "RuleLockout": store.RuleLockout, "RulePasswordSignIn": store.RulePasswordSignIn,
		"RuleSSOTested": store.RuleSSOTested, "RuleSessionsEnd": store.RuleSessionsEnd, "RuleOneAccount": store.RuleOneAccount,
		"RuleAudit": store.RuleAudit, "RuleNotifications": store.RuleNotifications}
	files, err := filepath.Glob("../store/*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\brefuse\(\s*(\w+),\s*("(?:[^"\\]|\\.)*")`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			n++
			rule, ok := rules[m[1]]
			if !ok {
				t.Errorf("%s: refuse(%s, ...): add the rule to this test's list", f, m[1])
				continue
			}
			en, err := strconv.Unquote(m[2])
			if err != nil {
				t.Fatalf("%s: %s: %v", f, m[2], err)
			}
			i := slices.IndexFunc(ruleItalians, func(r ruleItalian) bool { return r.Rule == rule && r.English == en })
			if i < 0 {
				t.Errorf("no Italian for rule %d %q (%s)", rule, en, f)
				continue
			}
			it := ruleItalians[i].Italian
			if a, b := verbs.FindAllString(en, -1), verbs.FindAllString(it, -1); !slices.Equal(a, b) {
				t.Errorf("rule %d %q: the Italian's verbs %v differ from the English %v", rule, en, b, a)
				continue
			}
			var args []any
			for _, v := range verbs.FindAllString(en, -1) {
				switch v {
				case "%d":
					args = append(args, 12)
				case "%q":
					args = append(args, "Okta prod")
				default:
					args = append(args, "acme hotels")
				}
			}
			got, want := trRule("it", sentence(fmt.Sprintf(en, args...))), sentence(fmt.Sprintf(it, args...))
			if got != want {
				t.Errorf("rule %d in Italian = %q, want %q", rule, got, want)
			}
			if e := sentence(fmt.Sprintf(en, args...)); trRule("en", e) != e {
				t.Errorf("rule %d changed on an English page", rule)
			}
		}
	}
	if n < 15 {
		t.Fatalf("found %d refuse(...) calls in store: the pattern no longer matches", n)
	}
	if trRule("it", "Something else entirely.") != "Something else entirely." {
		t.Errorf("a sentence that is no refusal was changed")
	}
}
