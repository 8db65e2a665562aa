package scim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/store"
)

func patchBody(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// emailValues are n work emails, as JSON values.
func emailValues(n int, prefix string) string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = fmt.Sprintf(`{"value":"%s%d@acme.example","type":"other"}`, prefix, i)
	}
	return strings.Join(vs, ",")
}

// TestPatchLimits: a PATCH has at most 1000 operations (400 tooMany) and a
// user's multi-valued attribute at most 100 values (400 invalidValue), on
// POST, PUT and PATCH, nothing written on refusal; a large add within the
// limits completes; group members are bounded only by the operations and
// the body size. The paths of one PATCH are at most 128 KiB.
func TestPatchLimits(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		id := e.createUser(userJSON("lim@acme.example", "lim@acme.example", "lim"))
		version := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK).header.Get("Etag")
		unchanged := func(what string) {
			t.Helper()
			if v := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK).header.Get("Etag"); v != version {
				t.Fatalf("%s: the refused request changed the user", what)
			}
		}
		expect := func(r resp, scimType string) {
			t.Helper()
			e.must(r, http.StatusBadRequest)
			if r.str("scimType") != scimType {
				t.Fatalf("scimType %q, want %q: %s", r.str("scimType"), scimType, r.body)
			}
		}

		op := `{"op":"replace","path":"title","value":"T"}`
		ops := make([]string, 1001)
		for i := range ops {
			ops[i] = op
		}
		r := e.do("PATCH", "/Users/"+id, patchBody(ops...))
		expect(r, "tooMany")
		if !strings.Contains(r.str("detail"), "1000") {
			t.Errorf("the detail does not name the limit: %s", r.body)
		}
		unchanged("1001 operations")
		// The library parses paths at about 10µs a byte: 128 KiB of paths at most.
		long := `{"op":"replace","path":"emails[value eq \"` + strings.Repeat("a", 1<<10) + `\"].type","value":"x"}`
		longs := make([]string, 128)
		for i := range longs {
			longs[i] = long
		}
		expect(e.do("PATCH", "/Users/"+id, patchBody(longs...)), "tooMany")
		unchanged("long paths")

		// 101 values in one add, or one by one: refused.
		expect(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"add","path":"emails","value":[`+emailValues(100, "a")+`]}`)), "invalidValue")
		adds := make([]string, 100)
		for i := range adds {
			adds[i] = fmt.Sprintf(`{"op":"add","path":"phoneNumbers","value":[{"value":"+1 555 %04d"}]}`, i)
		}
		expect(e.do("PATCH", "/Users/"+id, patchBody(append(adds, `{"op":"add","value":{"phoneNumbers":[{"value":"+1 555 9999"}]}}`)...)), "invalidValue")
		unchanged("101 values")
		// 8,000 values: refused as quickly (the work is linear, and stops at the limit).
		expect(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"add","path":"emails","value":[`+emailValues(8000, "b")+`]}`)), "invalidValue")
		unchanged("8000 values")

		// POST and PUT with 101 values.
		many := strings.Replace(userJSON("many@acme.example", "many@acme.example", "many"), `"emails":[`, `"emails":[`+emailValues(100, "c")+`,`, 1)
		expect(e.do("POST", "/Users", many), "invalidValue")
		expect(e.do("PUT", "/Users/"+id, strings.Replace(many, "many@", "lim@", -1)), "invalidValue")
		unchanged("PUT")

		// At the limit: the whole add completes, duplicates once.
		r = e.must(e.do("PATCH", "/Users/"+id, patchBody(`{"op":"add","path":"emails","value":[`+emailValues(99, "d")+`,`+emailValues(99, "d")+`]}`)), http.StatusOK)
		if n := len(r.doc["emails"].([]any)); n != 100 {
			t.Fatalf("%d emails, want 100", n)
		}
		// Then a change elsewhere still goes through.
		e.must(e.do("PATCH", "/Users/"+id, patchBody(op)), http.StatusOK)

		// Groups: 1000 member operations and 150 members in one operation pass.
		var members []string
		for i := range 150 {
			m, err := e.st.CreateMember(t.Context(), store.SupportActor("test"), e.org.ID, store.NewMember{Email: fmt.Sprintf("g%d@acme.example", i)})
			if err != nil {
				t.Fatal(err)
			}
			members = append(members, m.Account.ID)
		}
		gid := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Big"}`), http.StatusCreated).str("id")
		values := make([]string, len(members))
		for i, m := range members {
			values[i] = `{"value":"` + m + `"}`
		}
		e.must(e.do("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[`+strings.Join(values, ",")+`]}`)), http.StatusNoContent)
		memberOps := make([]string, 1000)
		for i := range memberOps {
			memberOps[i] = `{"op":"add","path":"members","value":[` + values[i%len(values)] + `]}`
		}
		e.must(e.do("PATCH", "/Groups/"+gid, patchBody(memberOps...)), http.StatusNoContent)
		if r := e.must(e.do("GET", "/Groups/"+gid, nil), http.StatusOK); len(r.doc["members"].([]any)) != 150 {
			t.Fatalf("group members: %s", r.body)
		}
		expect(e.do("PATCH", "/Groups/"+gid, patchBody(append(memberOps, memberOps[0])...)), "tooMany")
		// Okta's removes, one operation per member.
		removes := make([]string, len(members))
		for i, m := range members {
			removes[i] = `{"op":"remove","path":"members[value eq \"` + m + `\"]"}`
		}
		e.must(e.do("PATCH", "/Groups/"+gid, patchBody(removes[1:]...)), http.StatusNoContent)
		e.mustMembers(gid, members[0])
	})
}
