package scim_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
)

// undescribed lists the members of doc that the schema's attributes do not
// describe, as dotted paths; the common attributes (RFC 7643 3.1) and
// extension objects (described by their own schema) aside.
func undescribed(doc map[string]any, attrs []any, schemas map[string][]any, prefix string, top bool) []string {
	byName := map[string]map[string]any{}
	for _, a := range attrs {
		m := a.(map[string]any)
		byName[strings.ToLower(m["name"].(string))] = m
	}
	var out []string
	for k, v := range doc {
		if top {
			if ext, ok := schemas[k]; ok {
				out = append(out, undescribed(v.(map[string]any), ext, schemas, k+":", false)...)
				continue
			}
			switch k {
			case "schemas", "id", "externalId", "meta":
				continue
			}
		}
		a, ok := byName[strings.ToLower(k)]
		if !ok {
			out = append(out, prefix+k)
			continue
		}
		sub, _ := a["subAttributes"].([]any)
		switch v := v.(type) {
		case map[string]any:
			out = append(out, undescribed(v, sub, schemas, prefix+k+".", false)...)
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					out = append(out, undescribed(m, sub, schemas, prefix+k+".", false)...)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestDiscovery: /Schemas describes every attribute the service returns
// (users, groups, the service provider config and resource types); the
// config has documentationUri only where RFC 7643 5 has it; the discovery
// endpoints answer anything but GET with 405 and a SCIM error.
func TestDiscovery(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		uid := e.createUser(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		  "userName":"d@acme.example","name":{"givenName":"D","familyName":"E"},"title":"T",
		  "emails":[{"value":"d@acme.example","type":"work","primary":true}],
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R","manager":{"value":"x"}}}`)
		gid := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"D",
		  "members":[{"value":"`+uid+`","display":"D E"}]}`), http.StatusCreated).str("id")
		schemas := map[string][]any{}
		for _, s := range e.must(e.do("GET", "/Schemas", nil), http.StatusOK).doc["Resources"].([]any) {
			schemas[get(s, "id").(string)] = get(s, "attributes").([]any)
		}
		rts := e.must(e.do("GET", "/ResourceTypes", nil), http.StatusOK).doc["Resources"].([]any)
		docs := map[string]map[string]any{
			"urn:ietf:params:scim:schemas:core:2.0:User":                  e.must(e.do("GET", "/Users/"+uid, nil), http.StatusOK).doc,
			"urn:ietf:params:scim:schemas:core:2.0:Group":                 e.must(e.do("GET", "/Groups/"+gid, nil), http.StatusOK).doc,
			"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig": e.must(e.do("GET", "/ServiceProviderConfig", nil), http.StatusOK).doc,
			"urn:ietf:params:scim:schemas:core:2.0:ResourceType":          rts[0].(map[string]any),
		}
		for urn, doc := range docs {
			attrs, ok := schemas[urn]
			if !ok {
				t.Errorf("/Schemas has no %s", urn)
				continue
			}
			if u := undescribed(doc, attrs, schemas, "", true); len(u) > 0 {
				t.Errorf("%s: /Schemas does not describe %v", urn, u)
			}
		}
		// ... and nothing that is not returned: each sub-attribute of members is.
		member := get(docs["urn:ietf:params:scim:schemas:core:2.0:Group"], "members.0").(map[string]any)
		for _, a := range schemas["urn:ietf:params:scim:schemas:core:2.0:Group"] {
			if get(a, "name") != "members" {
				continue
			}
			for _, sub := range get(a, "subAttributes").([]any) {
				if name := get(sub, "name").(string); member[name] == nil {
					t.Errorf("/Schemas describes members.%s, which is never returned: %v", name, member)
				}
			}
		}
		spc := docs["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
		if spc["documentationUri"] == nil {
			t.Error("no top-level documentationUri")
		}
		for _, f := range []string{"patch", "bulk", "filter", "sort", "etag", "changePassword"} {
			if get(spc, f+".documentationUri") != nil {
				t.Errorf("%s has a documentationUri", f)
			}
		}
		for _, p := range []string{"/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/ResourceTypes/User",
			"/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"} {
			for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				r := e.must(e.do(m, p, "{}"), http.StatusMethodNotAllowed)
				if r.header.Get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s: Allow %q", m, p, r.header.Get("Allow"))
				}
			}
			if r := e.do("HEAD", p, nil); r.status != http.StatusOK || len(r.body) != 0 {
				t.Errorf("HEAD %s: %d %q", p, r.status, r.body)
			}
		}
	})
}
