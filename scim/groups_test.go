package scim_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestGroups covers Okta's group shapes, uniqueness and same-org members.
func TestGroups(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 3 {
			ids = append(ids, e.createUser(userJSON(fmt.Sprintf("u%d@acme.example", i), fmt.Sprintf("u%d@acme.example", i), fmt.Sprintf("x%d", i))))
		}
		stranger := e.must(e.doToken(e.token2, "POST", "/Users", userJSON("s@globex.example", "s@globex.example", "s")), http.StatusCreated).str("id")

		g := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering",
		  "members":[{"value":"`+ids[0]+`","display":"u0"}]}`), http.StatusCreated)
		gid := g.str("id")
		e.mustMembers(gid, ids[0])
		// displayName is unique per org, case-insensitively: 409.
		e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"engineering"}`), http.StatusConflict)
		// ... but another org may use it.
		e.must(e.doToken(e.token2, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering"}`), http.StatusCreated)
		// Members from another org: 400.
		e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Mixed","members":[{"value":"`+stranger+`"}]}`), http.StatusBadRequest)

		patch := func(ops string) resp {
			return e.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)
		}
		e.must(patch(`[{"op":"add","path":"members","value":[{"value":"`+stranger+`"}]}]`), http.StatusBadRequest)
		// Member adds are validated as any PATCH: a value that is not a
		// string, a missing group.
		e.must(patch(`[{"op":"add","path":"members","value":[{"value":7}]}]`), http.StatusBadRequest)
		e.must(e.do("PATCH", "/Groups/01a20a81-0fad-778b-8dd8-91ea0f6bcd09", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+ids[1]+`"}]}]}`), http.StatusNotFound)
		e.mustMembers(gid, ids[0])
		// Okta: path-less replace with id and displayName on every change.
		e.must(patch(`[{"op":"replace","value":{"id":"`+gid+`","displayName":"Engineering Team"}}]`), http.StatusNoContent)
		// Okta: add with a members array, remove with members[value eq].
		e.must(patch(`[{"op":"add","path":"members","value":[{"value":"`+ids[1]+`","display":"u1"},{"value":"`+ids[2]+`"}]}]`), http.StatusNoContent)
		e.mustMembers(gid, ids...)
		e.must(patch(`[{"op":"remove","path":"members[value eq \"`+ids[1]+`\"]"}]`), http.StatusNoContent)
		e.mustMembers(gid, ids[0], ids[2])
		// Okta: full replace of members.
		e.must(patch(`[{"op":"replace","path":"members","value":[{"value":"`+ids[1]+`"}]}]`), http.StatusNoContent)
		e.mustMembers(gid, ids[1])
		// Remove all members (no value).
		e.must(patch(`[{"op":"remove","path":"members"}]`), http.StatusNoContent)
		e.mustMembers(gid)
		r := e.must(e.do("GET", "/Groups/"+gid, nil), http.StatusOK)
		if r.str("displayName") != "Engineering Team" {
			t.Fatalf("rename: %s", r.body)
		}
		// A user's groups are returned (read-only).
		e.must(patch(`[{"op":"add","path":"members","value":[{"value":"`+ids[0]+`"}]}]`), http.StatusNoContent)
		u := e.must(e.do("GET", "/Users/"+ids[0], nil), http.StatusOK)
		if u.str("groups.0.value") != gid || u.str("groups.0.display") != "Engineering Team" {
			t.Errorf("user groups: %s", u.body)
		}
		// Lists have groups only when asked for.
		l := e.must(e.do("GET", "/Users?attributes=userName,groups&filter="+q(`id eq "`+ids[0]+`"`), nil), http.StatusOK)
		if l.str("Resources.0.groups.0.value") != gid {
			t.Errorf("list with attributes=groups: %s", l.body)
		}
		// Filters on members and displayName.
		r = e.must(e.do("GET", "/Groups?filter="+q(`members[value eq "`+ids[0]+`"] and displayName sw "eng"`), nil), http.StatusOK)
		if r.doc["totalResults"] != 1.0 || r.str("Resources.0.id") != gid {
			t.Errorf("members filter: %s", r.body)
		}
		// Users filtered by their groups.
		for _, f := range []string{`groups eq "` + gid + `"`, `groups.value eq "` + gid + `"`, `groups[value eq "` + gid + `"]`,
			`groups.display eq "engineering team"`, `groups[display sw "Eng" and value eq "` + gid + `"]`, `groups pr and userName pr`} {
			l := e.must(e.do("GET", "/Users?filter="+q(f), nil), http.StatusOK)
			if l.doc["totalResults"] != 1.0 || l.str("Resources.0.id") != ids[0] {
				t.Errorf("users filter %s: %s", f, l.body)
			}
		}
		for _, f := range []string{`groups eq "not-a-group"`, `groups.display eq "Sales"`, `not (groups pr) and id eq "` + ids[0] + `"`} {
			if l := e.must(e.do("GET", "/Users?filter="+q(f), nil), http.StatusOK); l.doc["totalResults"] != 0.0 {
				t.Errorf("users filter %s: %s", f, l.body)
			}
		}
		e.must(e.do("GET", "/Users?filter="+q(`groups.type eq "direct"`), nil), http.StatusBadRequest)
		// DELETE of a user removes their group memberships.
		e.must(e.do("DELETE", "/Users/"+ids[0], nil), http.StatusNoContent)
		e.mustMembers(gid)
		// PUT replaces everything.
		r = e.must(e.do("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","externalId":"e1","members":[{"value":"`+ids[2]+`"}]}`), http.StatusOK)
		if r.str("externalId") != "e1" {
			t.Errorf("put: %s", r.body)
		}
		e.mustMembers(gid, ids[2])
		e.must(e.do("DELETE", "/Groups/"+gid, nil), http.StatusNoContent)
		e.must(e.do("GET", "/Groups/"+gid, nil), http.StatusNotFound)
	})
}

// TestTenantIsolation: another org's token sees 404 for every id, and its
// lists and filters never show this org's data.
func TestTenantIsolation(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		uid := e.createUser(userJSON("iso@acme.example", "iso@acme.example", "iso"))
		gid := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Secret"}`), http.StatusCreated).str("id")
		other := func(method, path, body string) {
			t.Helper()
			e.must(e.doToken(e.token2, method, path, body), http.StatusNotFound)
		}
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`
		for _, p := range []string{"/Users/" + uid, "/Groups/" + gid} {
			other("GET", p, "")
			other("PATCH", p, patch)
			other("DELETE", p, "")
		}
		other("PUT", "/Users/"+uid, userJSON("iso@acme.example", "iso@acme.example", "iso"))
		other("PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Mine"}`)
		for _, p := range []string{"/Users", "/Users?filter=" + q(`userName eq "iso@acme.example"`), "/Groups", "/Groups?filter=" + q(`displayName eq "Secret"`)} {
			r := e.must(e.doToken(e.token2, "GET", p, nil), http.StatusOK)
			if r.doc["totalResults"] != 0.0 {
				t.Errorf("%s seen by another org: %s", p, r.body)
			}
		}
		// The same person provisioned by the other org: one account (rule 14),
		// each org sees its own view.
		r := e.must(e.doToken(e.token2, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"iso@acme.example","displayName":"Globex view","name":{"givenName":"G","familyName":"V"}}`), http.StatusCreated)
		if r.str("id") != uid {
			t.Errorf("second org got account %s, want the same account %s", r.str("id"), uid)
		}
		mine := e.must(e.do("GET", "/Users/"+uid, nil), http.StatusOK)
		if mine.str("displayName") != "" || mine.str("name.givenName") != "Given iso" {
			t.Errorf("org view leaked: %s", mine.body)
		}
		// The name is shared with another company: the account keeps its name.
		if acc, _ := e.st.GetAccount(t.Context(), uid); acc.GivenName != "Given iso" {
			t.Errorf("account name %q changed by another company's IdP", acc.GivenName)
		}
	})
}
