package scim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
)

// primaries are the values of the emails marked primary.
func primaries(r resp) []string {
	var out []string
	for _, e := range r.doc["emails"].([]any) {
		if get(e, "primary") == true {
			out = append(out, get(e, "value").(string))
		}
	}
	return out
}

// TestPrimary: at most one primary value per multi-valued attribute. An add
// or a filtered replace that makes a value primary clears the others (RFC
// 7644 3.5.2); a POST, PUT or PATCH that sends two is a 400, nothing
// written; a member stored with two before can still be changed elsewhere.
func TestPrimary(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		id := e.createUser(userJSON("pri@acme.example", "pri@acme.example", "pri"))
		r := e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"add","path":"emails","value":[{"value":"home@acme.example","type":"home","primary":true}]}`)), http.StatusOK)
		if p := primaries(r); strings.Join(p, ",") != "home@acme.example" {
			t.Fatalf("after an add of a primary value, primaries %v: %s", p, r.body)
		}
		r = e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"replace","path":"emails[type eq \"work\"].primary","value":true}`)), http.StatusOK)
		if p := primaries(r); strings.Join(p, ",") != "pri@acme.example" {
			t.Fatalf("after a filtered replace, primaries %v: %s", p, r.body)
		}
		// Entra's path-less add.
		r = e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"add","value":{"phoneNumbers":[{"value":"1","primary":"True"}]}}`,
			`{"op":"add","value":{"phoneNumbers":[{"value":"2","primary":"True"}]}}`)), http.StatusOK)
		if n := len(r.doc["phoneNumbers"].([]any)); n != 2 || get(r.doc, "phoneNumbers.0.primary") != false || get(r.doc, "phoneNumbers.1.primary") != true {
			t.Fatalf("phoneNumbers: %s", r.body)
		}
		version := r.header.Get("Etag")

		two := `[{"value":"pri@acme.example","type":"work","primary":true},{"value":"x@acme.example","type":"home","primary":true}]`
		expect := func(r resp) {
			t.Helper()
			if e.must(r, http.StatusBadRequest); r.str("scimType") != "invalidValue" {
				t.Fatalf("scimType %q: %s", r.str("scimType"), r.body)
			}
		}
		expect(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"replace","path":"emails","value":`+two+`}`)))
		var doc map[string]any
		_ = json.Unmarshal([]byte(userJSON("pri@acme.example", "pri@acme.example", "pri")), &doc)
		doc["emails"] = json.RawMessage(two)
		expect(e.do("PUT", "/Users/"+id, doc))
		doc["userName"], doc["externalId"] = "two@acme.example", "two"
		expect(e.do("POST", "/Users", doc))
		if v := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK).header.Get("Etag"); v != version {
			t.Fatal("a refused request changed the user")
		}

		// Stored with two primaries before the check: other changes go through.
		m, err := e.st.CreateMember(t.Context(), store.SupportActor("test"), e.org.ID, store.NewMember{Email: "old@acme.example",
			Profile: json.RawMessage(`{"userName":"old@acme.example","emails":[{"value":"old@acme.example","primary":true},{"value":"b@acme.example","primary":true}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		e.must(e.do("PATCH", "/Users/"+m.Account.ID, patchBody(`{"op":"replace","path":"title","value":"T"}`)), http.StatusOK)
	})
}

// TestRemove: a remove of name removes the names; of the extension URN, the
// extension; of active, a 400 (unassigned, active would mean enabled again).
func TestRemove(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		id := e.createUser(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		  "userName":"rm@acme.example","name":{"givenName":"Rem","familyName":"Oved"},"active":true,
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","employeeNumber":"7"}}`)
		r := e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"remove","path":"name"}`)), http.StatusOK)
		if r.doc["name"] != nil {
			t.Errorf("name after remove: %s", r.body)
		}
		if acc, _ := e.st.GetAccount(t.Context(), id); acc.GivenName != "" || acc.FamilyName != "" {
			t.Errorf("the account keeps the names %q %q", acc.GivenName, acc.FamilyName)
		}
		const ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
		r = e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"remove","path":"`+ext+`"}`)), http.StatusOK)
		if r.doc[ext] != nil {
			t.Errorf("extension after remove: %s", r.body)
		}
		if r := e.must(e.do("GET", "/Users?filter="+q(ext+":department eq \"R&D\""), nil), http.StatusOK); r.doc["totalResults"] != 0.0 {
			t.Errorf("the removed department is still found: %s", r.body)
		}

		e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"replace","path":"active","value":false}`)), http.StatusOK)
		r = e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"remove","path":"active"}`)), http.StatusBadRequest)
		if r.str("scimType") != "mutability" {
			t.Errorf("remove active: %s", r.body)
		}
		if r := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK); r.doc["active"] != false {
			t.Errorf("remove active re-enabled the member: %s", r.body)
		}
	})
}
