package scim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// FuzzFilter: no filter, however malformed, produces a 500 (SQLite; run
// with -fuzz for more than the seeds).
func FuzzFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a"`, `emails[type eq "work"].value eq "x"`, `not (userName pr)`,
		`meta.created gt "2020-01-01T00:00:00Z"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`userName co "%_\\"`, `active eq "yes"`, `id eq 5`, `emails[type eq "work" or value pr].value eq "x"`,
		`name.givenName gt null`, `((((userName eq "a"))))`, `emails[value co "a"] or phoneNumbers pr`, `x[`, `"`, `]].a eq`} {
		f.Add(s, "Users")
		f.Add(s, "Groups")
	}
	e := newEnv(f, "sqlite", fuzzOptions)
	e.createUser(userJSON("f@acme.example", "f@acme.example", "f"))
	f.Fuzz(func(t *testing.T, filter, res string) {
		e.t = t
		if res != "Users" {
			res = "Groups"
		}
		r := e.do("GET", "/"+res+"?filter="+url.QueryEscape(filter)+"&sortBy="+url.QueryEscape(filter), nil)
		if r.status >= 500 {
			t.Fatalf("filter %q: %d %s", filter, r.status, r.body)
		}
		if r.status >= 400 {
			checkErrorBody(t, r)
		}
	})
}

// FuzzPatch: no PATCH operation produces a 500.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{`{"op":"Replace","path":"active","value":"False"}`,
		`{"op":"replace","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"}}`,
		`{"op":"add","path":"emails[type eq \"work\"].value","value":"x@acme.example"}`,
		`{"op":"remove","path":"members[value eq \"x\"]"}`, `{"op":"add","path":"members","value":[{"value":"nope"}]}`,
		`{"op":"remove","path":"emails"}`, `{"op":"replace","path":"userName","value":"ü@acme.example"}`,
		`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"manager":""}}`,
		`{"op":"replace","path":"groups","value":1}`, `{"op":"x"}`, `null`, `[]`} {
		f.Add(s, true)
		f.Add(s, false)
	}
	e := newEnv(f, "sqlite", fuzzOptions)
	uid := e.createUser(userJSON("p@acme.example", "p@acme.example", "p"))
	gid := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"F"}`), http.StatusCreated).str("id")
	f.Fuzz(func(t *testing.T, op string, user bool) {
		e.t = t
		if !json.Valid([]byte(op)) {
			op = `"` + op + `"`
			if !json.Valid([]byte(op)) {
				return
			}
		}
		path := "/Groups/" + gid
		if user {
			path = "/Users/" + uid
		}
		r := e.do("PATCH", path, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+op+`]}`)
		if r.status >= 500 {
			t.Fatalf("patch %s: %d %s", op, r.status, r.body)
		}
		if r.status >= 400 {
			checkErrorBody(t, r)
		}
	})
}
