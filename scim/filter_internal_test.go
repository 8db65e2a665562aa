package scim

import (
	"fmt"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// TestValuePaths: every form of value path translates to the store filter
// of the plain two-term form the parser takes, or of its meaning.
func TestValuePaths(t *testing.T) {
	users := func(raw string) string {
		t.Helper()
		e, err := parseFilter(raw)
		if err != nil {
			t.Fatalf("parse %s: %v", raw, err)
		}
		f, err := userFilter(e)
		if err != nil {
			t.Fatalf("translate %s: %v", raw, err)
		}
		return fmt.Sprintf("%#v", f)
	}
	for _, tc := range []struct{ name, in, same string }{
		{"entra", `emails[type eq "work"].value eq "x@y.z"`, `emails[type eq "work" and value eq "x@y.z"]`},
		{"then and", `emails[type eq "work"].value eq "a]b" and active eq true`, `emails[type eq "work" and value eq "a]b"] and active eq true`},
		{"pr", `emails[type eq "work"].value pr`, `emails[type eq "work" and value pr]`},
		{"or inside", `emails[type eq "work" or primary eq true].value eq "x"`, `emails[(type eq "work" or primary eq true) and value eq "x"]`},
		{"urn", `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value pr`, `emails[type eq "work" and value pr]`},
		{"not outside", `not (emails[type eq "work"])`, `not (emails[type eq "work"])`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := users(tc.in), users(tc.same); got != want {
				t.Errorf("%s\n = %s\nwant %s", tc.in, got, want)
			}
		})
	}
	// Forms the parser alone refuses: three terms, parentheses, not.
	for _, in := range []string{
		`emails[type eq "work" and primary eq true and value co "@"]`,
		`emails[type eq "work" and (value ew ".com" or value ew ".it")]`,
		`emails[not (type eq "home")].value pr`,
		`emails[type eq "a or b"].value eq "x"`,
	} {
		users(in)
	}
	for _, in := range []string{`emails[type eq "work"`, `emails[type eq "x"]]`, `emails[x[y eq "1"]]`, `[type eq "work"]`,
		`emails[type eq "work"].value`, `idbridgeValuePath0 pr`} {
		if _, err := parseFilter(in); err == nil {
			t.Errorf("%s: parsed", in)
		}
	}
}

// TestSimpleEq: the fast path yields what the parser yields.
func TestSimpleEq(t *testing.T) {
	for _, in := range []string{`userName eq "a@b.c"`, `externalId EQ "x\"y"`, `name.givenName eq ""`, `emails.value eq "a\\b"`} {
		fast := simpleEq(in)
		slow, err := filter.ParseFilter([]byte(in))
		if fast == nil || err != nil || fast.(*filter.AttributeExpression).String() != slow.(*filter.AttributeExpression).String() {
			t.Errorf("%s: fast %v, parser %v (%v)", in, fast, slow, err)
		}
	}
	for _, in := range []string{`userName eq "a" and x eq "b"`, `userName eq "a" or userName eq "b"`, `urn:x:y eq "a"`, `userName ne "a"`} {
		if simpleEq(in) != nil {
			t.Errorf("%s took the fast path", in)
		}
	}
}
