package scim_test

import (
	"net/http"
	"strings"
	"testing"
)

// Another company's org never learns what its own view of a shared account
// is not: B gets back only what B sent, and errors do not name A's org.
func TestCrossTenantDisclosure(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		// A (Acme) provisions the person with a name.
		e.createUser(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@shared.example",
			"name":{"givenName":"Ann","familyName":"Private"},"emails":[{"value":"ann@shared.example","primary":true}]}`)
		// B (Globex) creates the same address without a name: rule 14 joins
		// the account, and B's answer and reads carry no name.
		r := e.must(e.doToken(e.token2, http.MethodPost, "/Users",
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@shared.example"}`), http.StatusCreated)
		if strings.Contains(string(r.body), "Private") || get(r.doc, "name") != nil {
			t.Errorf("B's create answer shows A's name: %s", r.body)
		}
		id := r.str("id")
		r = e.must(e.doToken(e.token2, http.MethodGet, "/Users/"+id, nil), http.StatusOK)
		if strings.Contains(string(r.body), "Private") {
			t.Errorf("B's read shows A's name: %s", r.body)
		}
		// B may not change the email; the refusal does not name Acme.
		r = e.doToken(e.token2, http.MethodPatch, "/Users/"+id,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"ann2@shared.example"},{"op":"replace","path":"emails[primary eq true].value","value":"ann2@shared.example"}]}`)
		if r.status != http.StatusBadRequest || strings.Contains(string(r.body), "Acme") ||
			!strings.Contains(string(r.body), "an organization outside your company") {
			t.Errorf("email change across companies: %d %s", r.status, r.body)
		}
	})
}
