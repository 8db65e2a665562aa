package scim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/scim"
)

// TestUnparseableQuery: a query string that does not parse is a 400 on every
// route (invalidFilter when the bad pair is the filter), never a list of
// everyone without the filter.
func TestUnparseableQuery(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{})
	id := e.createUser(userJSON("q@acme.example", "q@acme.example", "q"))
	e.createUser(userJSON("other@acme.example", "other@acme.example", "o"))
	for _, tc := range []struct{ method, path, scimType string }{
		{"GET", `/Users?filter=userName%20eq%20%22x%%22`, "invalidFilter"},
		{"GET", `/Users?filter=userName%20eq%20%22q@acme.example%22;x=y`, "invalidFilter"},
		{"GET", `/Users?filter=userName%20eq%20%22x%22&filter=userName%20pr`, "invalidFilter"},
		{"GET", `/Groups?filter=displayName%20eq%20%22%zz%22`, "invalidFilter"},
		{"GET", `/Users?count=1;startIndex=2`, "invalidSyntax"},
		{"GET", `/Users?sortBy=%zz`, "invalidSyntax"},
		{"GET", `/Users/` + id + `?attributes=userName%`, "invalidSyntax"},
		{"PATCH", `/Users/` + id + `?x=%`, "invalidSyntax"},
		{"GET", `/ServiceProviderConfig?%zz`, "invalidSyntax"},
		{"GET", `/Schemas?a=b;c`, "invalidSyntax"},
		{"GET", `/ResourceTypes?%`, "invalidSyntax"},
		{"POST", `/Bulk?%`, "invalidSyntax"},
	} {
		var body any
		if tc.method != "GET" {
			body = patchBody(`{"op":"replace","path":"title","value":"changed"}`)
		}
		r := e.do(tc.method, tc.path, body)
		e.must(r, http.StatusBadRequest)
		if r.str("scimType") != tc.scimType {
			t.Errorf("%s %s: scimType %q, want %q", tc.method, tc.path, r.str("scimType"), tc.scimType)
		}
	}
	if r := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK); r.str("title") != "" {
		t.Fatalf("a refused PATCH changed the user: %s", r.body)
	}
	// A % sent as %25 is a % in the filter.
	r := e.must(e.do("GET", `/Users?filter=userName%20eq%20%22x%25%22`, nil), http.StatusOK)
	if r.doc["totalResults"] != 0.0 {
		t.Fatalf("encoded %%: %s", r.body)
	}
}

// TestNUL: a NUL character in a value or a filter is a 400 invalidValue on
// both backends (PostgreSQL cannot store it), nothing written; a /Bulk
// operation on a search path is that operation's 404.
func TestNUL(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		id := e.createUser(userJSON("nul@acme.example", "nul@acme.example", "nul"))
		gid := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`), http.StatusCreated).str("id")
		version := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK).header.Get("Etag")
		search := func(f string) string {
			return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":` + f + `}`
		}
		for _, tc := range []struct{ method, path, body string }{
			{"GET", "/Users?filter=" + q(`userName eq "a\u0000"`), ""},
			{"GET", "/Users?filter=" + q(`title eq "a\u0000"`), ""},
			{"GET", "/Users?filter=" + q(`emails[value eq "a\u0000"]`), ""},
			{"GET", "/Users?filter=userName%20eq%20%22a%00%22", ""},
			{"GET", "/Groups?filter=" + q(`displayName eq "a\u0000"`), ""},
			{"POST", "/Users/.search", search(`"userName eq \"a\\u0000\""`)},
			{"POST", "/Users/.search", search(`"userName eq \"a\u0000\""`)},
			{"PATCH", "/Users/" + id, patchBody(`{"op":"replace","path":"title","value":"a\u0000"}`)},
			{"PATCH", "/Users/" + id, patchBody(`{"op":"replace","value":{"name":{"givenName":"a\u0000"}}}`)},
			{"PUT", "/Users/" + id, strings.Replace(userJSON("nul@acme.example", "nul@acme.example", "nul"), `"Family"`, `"F\u0000"`, 1)},
			{"POST", "/Users", userJSON("new@acme.example", "new@acme.example", "n\u0000")},
			{"POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"a\u0000"}`},
			{"PATCH", "/Groups/" + gid, patchBody(`{"op":"replace","path":"displayName","value":"a\u0000"}`)},
		} {
			r := e.do(tc.method, tc.path, tc.body)
			e.must(r, http.StatusBadRequest)
			if r.str("scimType") != "invalidValue" {
				t.Errorf("%s %s: scimType %q, want invalidValue: %s", tc.method, tc.path, r.str("scimType"), r.body)
			}
		}
		if v := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK).header.Get("Etag"); v != version {
			t.Error("a refused request changed the user")
		}
		if r := e.must(e.do("GET", "/Groups/"+gid, nil), http.StatusOK); r.str("displayName") != "G" {
			t.Errorf("a refused request changed the group: %s", r.body)
		}
		r := e.must(e.do("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		  {"method":"POST","bulkId":"s","path":"/Users/.search","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}},
		  {"method":"POST","bulkId":"n","path":"/Users","data":`+userJSON("bn@acme.example", "bn@acme.example", "b\u0000")+`},
		  {"method":"PATCH","path":"/Groups/`+gid+`/x","data":{}}]}`), http.StatusOK)
		for i, want := range []string{"404", "400", "404"} {
			if got := r.str("Operations." + itoa(i) + ".status"); got != want {
				t.Errorf("bulk operation %d: status %s, want %s: %s", i, got, want, r.body)
			}
		}
	})
}
