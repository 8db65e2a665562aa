package scim_test

import (
	"net/http"
	"strings"
	"testing"
)

const entraUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee@acme.example","active":true,
 "emails":[{"primary":true,"type":"work","value":"Test_User_ab6490ee@acme.example"}],
 "meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
 "roles":[],
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"E1","department":"Sales","manager":"MGR-1"}}`

// TestEntra replays Microsoft Entra ID's provisioning requests, in both
// dialects: without ?aadOptscim062020 (capitalized ops, string booleans) and with.
func TestEntra(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		// Test connection: a filter on a random GUID answers an empty list.
		r := e.must(e.do("GET", "/Users?filter="+q(`userName eq "6b1d4d5a-4d3f-4a0c-9c2f-1c2b3a4d5e6f"`), nil), http.StatusOK)
		if r.doc["totalResults"] != 0.0 {
			t.Fatalf("test connection: %s", r.body)
		}
		// Lookups by userName, externalId, and email value path.
		for _, f := range []string{`userName eq "Test_User_ab6490ee@acme.example"`,
			`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
			`emails[type eq "work"].value eq "Test_User_ab6490ee@acme.example"`} {
			r = e.must(e.do("GET", "/Users?filter="+q(f), nil), http.StatusOK)
			if r.doc["totalResults"] != 0.0 {
				t.Fatalf("%s before create: %s", f, r.body)
			}
		}
		// Create with core + enterprise, manager as a plain string, roles [], meta.
		r = e.must(e.do("POST", "/Users", entraUser), http.StatusCreated)
		id := r.str("id")
		if got := get(r.doc, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value"); got != "MGR-1" {
			t.Errorf("manager %v, want MGR-1: %s", got, r.body)
		}
		for _, f := range []string{`userName eq "Test_User_ab6490ee@acme.example"`,
			`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
			`emails[type eq "work"].value eq "test_user_ab6490ee@acme.example"`,
			`emails[type eq "work" and value eq "Test_User_ab6490ee@acme.example"]`,
			`userName eq "Test_User_ab6490ee@acme.example" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "E1"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales" and active eq true`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "MGR-1"`,
			`name.givenName sw "give" and not (name.familyName co "zzz")`,
			`meta.created gt "2000-01-01T00:00:00Z" and meta.lastModified le "2999-01-01T00:00:00Z"`,
			`emails[type eq "home" or type eq "work"].value ew "@ACME.example"`,
			`emails[type eq "work" and primary eq true and value co "_ab6490ee@"]`,
			`emails[not (type eq "home") and value sw "test_user"]`,
		} {
			r = e.must(e.do("GET", "/Users?filter="+q(f), nil), http.StatusOK)
			if r.doc["totalResults"] != 1.0 || r.str("Resources.0.id") != id {
				t.Errorf("filter %s: %s", f, r.body)
			}
		}

		for _, f := range []string{`emails[type eq "home" or primary eq false].value pr`, `emails[type eq "work" and primary eq true and value co "nobody"]`} {
			if r = e.must(e.do("GET", "/Users?filter="+q(f), nil), http.StatusOK); r.doc["totalResults"] != 0.0 {
				t.Errorf("filter %s: %s", f, r.body)
			}
		}

		patch := func(ops string) resp {
			return e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)
		}
		// Dialect 1 (default): capitalized ops, string booleans, manager string, URN paths.
		e.must(patch(`[{"op":"Replace","path":"active","value":"False"}]`), http.StatusOK)
		r = e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK)
		if r.doc["active"] != false {
			t.Fatalf("active after \"False\": %s", r.body)
		}
		e.must(patch(`[{"op":"Replace","path":"active","value":"True"},
		  {"op":"Replace","path":"name.familyName","value":"Smith"},
		  {"op":"Add","path":"name.givenName","value":"Jane"},
		  {"op":"Replace","path":"displayName","value":"Jane Smith"},
		  {"op":"Replace","path":"emails[type eq \"work\"].value","value":"Test_User_ab6490ee@acme.example"},
		  {"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"},
		  {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"E2"},
		  {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"MGR-2"}]`), http.StatusOK)
		r = e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK)
		ext := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
		for path, want := range map[string]any{"active": true, "name.familyName": "Smith", "name.givenName": "Jane",
			"displayName": "Jane Smith", "phoneNumbers.0.value": "+1 555 0100", "phoneNumbers.0.type": "mobile",
			ext + ".employeeNumber": "E2", ext + ".manager.value": "MGR-2", ext + ".department": "Sales"} {
			if got := get(r.doc, path); got != want {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}
		// The account's name follows (the account belongs to this company only).
		if acc, _ := e.st.GetAccount(t.Context(), id); acc.FamilyName != "Smith" || acc.GivenName != "Jane" {
			t.Errorf("account name %q %q, want Jane Smith", acc.GivenName, acc.FamilyName)
		}
		// A PATCH path equal to the extension URN.
		e.must(patch(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"costCenter":"CC9","manager":"MGR-3"}}]`), http.StatusOK)
		// Dialect 2 (aadOptscim062020): path-less replace with dotted and URN keys.
		e.must(e.do("PATCH", "/Users/"+id+"?aadOptscim062020", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		  {"op":"replace","value":{"name.givenName":"Janet","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division":"North","active":false}},
		  {"op":"remove","path":"phoneNumbers[type eq \"mobile\"]"}]}`), http.StatusOK)
		r = e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK)
		for path, want := range map[string]any{"name.givenName": "Janet", ext + ".division": "North", ext + ".costCenter": "CC9",
			ext + ".manager.value": "MGR-3", "active": false, "phoneNumbers": nil} {
			if got := get(r.doc, path); got != want {
				t.Errorf("%s = %v, want %v; %s", path, got, want, r.body)
			}
		}
		// Read-only attributes refuse changes; the same id is a no-op.
		e.must(patch(`[{"op":"add","path":"groups","value":[{"value":"x"}]}]`), http.StatusBadRequest)
		e.must(patch(`[{"op":"replace","value":{"id":"`+id+`","active":true}}]`), http.StatusOK)

		// Groups: extra Microsoft schema, lookup by displayName excluding members.
		g := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		  "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Group1DisplayName","meta":{"resourceType":"Group"}}`), http.StatusCreated)
		gid := g.str("id")
		r = e.must(e.do("GET", "/Groups?excludedAttributes=members&filter="+q(`displayName eq "group1displayname"`), nil), http.StatusOK)
		if r.doc["totalResults"] != 1.0 || r.str("Resources.0.id") != gid || get(r.doc, "Resources.0.members") != nil {
			t.Fatalf("group lookup: %s", r.body)
		}
		gpatch := func(ops string) resp {
			return e.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`)
		}
		e.must(gpatch(`[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+id+`"}]}]`), http.StatusNoContent)
		e.mustMembers(gid, id)
		e.must(gpatch(`[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+id+`"}]}]`), http.StatusNoContent)
		e.mustMembers(gid)
		e.must(gpatch(`[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]`), http.StatusNoContent)
		e.must(gpatch(`[{"op":"remove","path":"members[value eq \"`+id+`\"]"}]`), http.StatusNoContent)
		e.mustMembers(gid)
		e.must(gpatch(`[{"op":"Replace","path":"displayName","value":"Renamed"}]`), http.StatusNoContent)

		// Hard delete.
		e.must(e.do("DELETE", "/Users/"+id, nil), http.StatusNoContent)
		e.must(e.do("GET", "/Users/"+id, nil), http.StatusNotFound)
	})
}

func (e *env) mustMembers(gid string, want ...string) {
	e.t.Helper()
	r := e.must(e.do("GET", "/Groups/"+gid, nil), http.StatusOK)
	ms, _ := r.doc["members"].([]any)
	var got []string
	for _, m := range ms {
		got = append(got, valueOf(m))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		e.t.Fatalf("members %v, want %v", got, want)
	}
}

func valueOf(m any) string {
	v, _ := get(m, "value").(string)
	return v
}
