package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOktaSpec ports Okta's "SCIM 2.0 Spec Test" step by step.
func TestOktaSpec(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		// 1. Required: GET /Users with a bad token answers 401 with a SCIM body.
		r := e.doToken("idb_scim_wrong", "GET", "/Users", nil)
		e.must(r, http.StatusUnauthorized)
		e.must(e.doToken("", "GET", "/Users", nil), http.StatusUnauthorized)

		// 2. GET /Users?count=1&startIndex=1: a ListResponse with integers.
		r = e.must(e.do("GET", "/Users?count=1&startIndex=1", nil), http.StatusOK)
		for _, k := range []string{"totalResults", "itemsPerPage", "startIndex"} {
			if _, ok := r.doc[k].(float64); !ok {
				t.Errorf("%s = %v, want an integer", k, r.doc[k])
			}
		}

		// 3. Filter on a userName that does not exist: 200 with no results.
		r = e.must(e.do("GET", `/Users?filter=`+q(`userName eq "nobody@acme.example"`)+`&startIndex=1&count=100`, nil), http.StatusOK)
		if r.doc["totalResults"] != 0.0 {
			t.Fatalf("totalResults %v, want 0", r.doc["totalResults"])
		}

		// 4. Create a user as Okta does (password, groups [], locale, application/json).
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Wilbur.Okta@acme.example",
		  "name":{"givenName":"Wilbur","familyName":"Okta"},"emails":[{"primary":true,"value":"Wilbur.Okta@acme.example","type":"work"}],
		  "displayName":"Wilbur Okta","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
		  "password":"1mz050nq-long-enough","active":true}`
		r = e.must(e.do("POST", "/Users", body, "Content-Type", "application/json"), http.StatusCreated)
		id := r.str("id")
		if id == "" || r.header.Get("Location") == "" {
			t.Fatalf("no id or Location: %s", r.body)
		}
		if strings.Contains(string(r.body), "password") || strings.Contains(e.logText(), "1mz050nq") {
			t.Fatal("the password is returned or logged")
		}
		if r.str("userName") != "Wilbur.Okta@acme.example" || r.str("locale") != "en-US" || r.str("displayName") != "Wilbur Okta" {
			t.Errorf("not returned as sent: %s", r.body)
		}

		// 5. The same userName again (another case): 409 with a SCIM body.
		e.must(e.do("POST", "/Users", strings.Replace(body, "Wilbur.Okta@", "wilbur.okta@", 1)), http.StatusConflict)

		// 6. Filter by userName, case-insensitively: exactly that user.
		r = e.must(e.do("GET", "/Users?filter="+q(`userName eq "wilbur.okta@ACME.example"`), nil), http.StatusOK)
		if r.doc["totalResults"] != 1.0 || r.str("Resources.0.id") != id {
			t.Fatalf("filter: %s", r.body)
		}

		// 7. GET by id.
		r = e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK)
		if r.str("name.familyName") != "Okta" || r.doc["active"] != true {
			t.Fatalf("get: %s", r.body)
		}

		// 8. An unknown, non-UUID id: 404 with a SCIM body.
		e.must(e.do("GET", "/Users/00919288221112222", nil), http.StatusNotFound)
		e.must(e.do("GET", "/Users/0192a9f0-0000-7000-8000-000000000000", nil), http.StatusNotFound)

		// 9. Deactivate as Okta does: path-less replace.
		r = e.must(e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		  "Operations":[{"op":"replace","value":{"active":false}}]}`), http.StatusOK)
		if r.doc["active"] != false {
			t.Fatalf("deactivate: %s", r.body)
		}
		// Still returned by GET and by filters.
		e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK)
		r = e.must(e.do("GET", "/Users?filter="+q(`userName eq "Wilbur.Okta@acme.example"`), nil), http.StatusOK)
		if r.doc["totalResults"] != 1.0 || get(r.doc, "Resources.0.active") != false {
			t.Fatalf("deactivated user not found by filter: %s", r.body)
		}

		// 10. PUT the full object (apps outside Okta's catalog).
		put := strings.Replace(body, `"Wilbur Okta"`, `"Wilbur T. Okta"`, 1)
		r = e.must(e.do("PUT", "/Users/"+id, put), http.StatusOK)
		if r.str("displayName") != "Wilbur T. Okta" || r.doc["active"] != true {
			t.Fatalf("put: %s", r.body)
		}

		// 11. GET /Groups answers (quickly: measured by the load command).
		e.must(e.do("GET", "/Groups", nil), http.StatusOK)
	})
}

func q(s string) string { return url.QueryEscape(s) }
