package scim

import (
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

func TestRewriteValuePaths(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", `userName eq "a"`, `userName eq "a"`},
		{"entra", `emails[type eq "work"].value eq "x@y.z"`, `emails[type eq "work" and value eq "x@y.z"]`},
		{"then and", `emails[type eq "work"].value eq "a]b" and active eq true`, `emails[type eq "work" and value eq "a]b"] and active eq true`},
		{"quoted bracket", `userName eq "a[b].c"`, `userName eq "a[b].c"`},
		{"pr", `emails[type eq "work"].value pr`, `emails[type eq "work" and value pr]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rewriteValuePaths(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			if _, err := parseFilter(tc.in); err != nil {
				t.Fatalf("parse: %v", err)
			}
		})
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
