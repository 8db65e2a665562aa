package scim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/scim"
	"github.com/idbridge/idbridge/store"
)

// TestErrors covers RFC 7644 error cases: every one a SCIM error body.
func TestErrors(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		id := e.createUser(userJSON("err@acme.example", "err@acme.example", "err"))
		patchOp := func(ops string) string {
			return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
		}
		for _, tc := range []struct {
			name         string
			method, path string
			body         string
			hdr          []string
			status       int
			scimType     string
		}{
			{"bad filter", "GET", "/Users?filter=" + q(`userName eq`), "", nil, 400, "invalidFilter"},
			{"unknown attribute", "GET", "/Users?filter=" + q(`nope eq "x"`), "", nil, 400, "invalidFilter"},
			{"deep filter", "GET", "/Users?filter=" + q(strings.Repeat("(", 40)+`userName eq "x"`+strings.Repeat(")", 40)), "", nil, 400, "invalidFilter"},
			{"long filter", "GET", "/Users?filter=" + q(`userName eq "`+strings.Repeat("a", 5000)+`"`), "", nil, 400, "invalidFilter"},
			{"bad count", "GET", "/Users?count=x", "", nil, 400, ""},
			{"bad sortBy", "GET", "/Users?sortBy=password", "", nil, 400, "invalidValue"},
			{"not json", "POST", "/Users", "{", nil, 400, "invalidSyntax"},
			{"no email", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jdoe"}`, nil, 400, "invalidValue"},
			{"non-ASCII email", "POST", "/Users", userJSON("jösé@acme.example", "jösé@acme.example", "j"), nil, 400, "invalidValue"},
			{"media type", "POST", "/Users", userJSON("m@acme.example", "m@acme.example", "m"), []string{"Content-Type", "text/plain"}, 415, ""},
			{"too large", "POST", "/Users", `{"userName":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 413, ""},
			{"no endpoint", "GET", "/Nope", "", nil, 404, ""},
			{"patch no ops", "PATCH", "/Users/" + id, patchOp(`[]`), nil, 400, "invalidValue"},
			{"patch bad path", "PATCH", "/Users/" + id, patchOp(`[{"op":"replace","path":"nope","value":"x"}]`), nil, 400, "invalidPath"},
			{"patch meta", "PATCH", "/Users/" + id, patchOp(`[{"op":"replace","path":"id","value":"other"}]`), nil, 400, "mutability"},
			{"if-match", "PUT", "/Users/" + id, userJSON("err@acme.example", "err@acme.example", "err"), []string{"If-Match", `W/"nope"`}, 412, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.method, tc.path, tc.body, tc.hdr...)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				checkErrorBody(t, r)
				if got, _ := r.doc["scimType"].(string); tc.scimType != "" && got != tc.scimType {
					t.Errorf("scimType %q, want %q", got, tc.scimType)
				}
			})
		}
	})
}

// TestSSOEmailLocked: rule 1 through SCIM is a 400 mutability with the rule's sentence.
func TestSSOEmailLocked(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		sup := store.SupportActor("test")
		id := e.createUser(userJSON("sso@acme.example", "sso@acme.example", "sso"))
		c, err := e.st.CreateConnection(ctx, sup, e.org.ID, store.NewConnection{Kind: store.ConnectionOIDC, Name: "Okta"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.RecordConnectionTest(ctx, sup, e.org.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.EnableSSO(ctx, sup, e.org.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		r := e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"new@acme.example"}]}`)
		e.must(r, http.StatusBadRequest)
		if r.doc["scimType"] != "mutability" || !strings.Contains(r.str("detail"), "Disable SSO") {
			t.Fatalf("rule 1: %s", r.body)
		}
		// A no-op write of the same value is accepted.
		e.must(e.do("PUT", "/Users/"+id, userJSON("SSO@acme.example", "sso@acme.example", "sso")), http.StatusOK)
		if acc, _ := e.st.GetAccount(ctx, id); acc.Email != "sso@acme.example" {
			t.Errorf("email changed to %q", acc.Email)
		}
	})
}

// TestProtocol covers what the library leaves to us: ETag, attributes,
// /.search, sorting and stable paging, ServiceProviderConfig, HEAD.
func TestProtocol(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 7 {
			ids = append(ids, e.createUser(userJSON(fmt.Sprintf("p%d@acme.example", 6-i), fmt.Sprintf("p%d@acme.example", 6-i), fmt.Sprintf("p%d", i))))
		}
		// ETag / If-None-Match / If-Match.
		r := e.must(e.do("GET", "/Users/"+ids[0], nil), http.StatusOK)
		tag := r.header.Get("Etag")
		if tag == "" || r.str("meta.version") != tag {
			t.Fatalf("etag %q, meta.version %q", tag, r.str("meta.version"))
		}
		if r := e.do("GET", "/Users/"+ids[0], nil, "If-None-Match", tag); r.status != http.StatusNotModified {
			t.Errorf("If-None-Match: %d", r.status)
		}
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"CTO"}]}`
		r = e.must(e.do("PATCH", "/Users/"+ids[0], patch, "If-Match", tag), http.StatusOK)
		if r.header.Get("Etag") == tag {
			t.Error("the version did not change")
		}
		e.must(e.do("PATCH", "/Users/"+ids[0], patch, "If-Match", tag), http.StatusPreconditionFailed)
		e.must(e.do("DELETE", "/Users/"+ids[0], nil, "If-Match", tag), http.StatusPreconditionFailed)

		// attributes / excludedAttributes.
		r = e.must(e.do("GET", "/Users/"+ids[0]+"?attributes=userName,name.givenName", nil), http.StatusOK)
		if r.str("userName") == "" || r.str("name.givenName") == "" || r.str("id") == "" || r.doc["emails"] != nil || get(r.doc, "name.familyName") != nil {
			t.Errorf("attributes: %s", r.body)
		}
		r = e.must(e.do("GET", "/Users?excludedAttributes=emails,name", nil), http.StatusOK)
		if get(r.doc, "Resources.0.emails") != nil || r.str("Resources.0.userName") == "" {
			t.Errorf("excludedAttributes: %s", r.body)
		}

		// sortBy + paging: stable, complete, integers.
		var seen []string
		for start := 1; start <= 7; start += 3 {
			r = e.must(e.do("GET", fmt.Sprintf("/Users?sortBy=userName&sortOrder=descending&startIndex=%d&count=3", start), nil), http.StatusOK)
			if r.doc["totalResults"] != 7.0 || r.doc["startIndex"] != float64(start) {
				t.Fatalf("page %d: %s", start, r.body)
			}
			for _, res := range r.doc["Resources"].([]any) {
				seen = append(seen, get(res, "userName").(string))
			}
		}
		want := "p6@acme.example,p5@acme.example,p4@acme.example,p3@acme.example,p2@acme.example,p1@acme.example,p0@acme.example"
		if strings.Join(seen, ",") != want {
			t.Errorf("sorted pages %v", seen)
		}
		r = e.must(e.do("GET", "/Users?count=0", nil), http.StatusOK)
		if r.doc["totalResults"] != 7.0 || r.doc["itemsPerPage"] != 0.0 {
			t.Errorf("count=0: %s", r.body)
		}

		// POST /.search.
		r = e.must(e.do("POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
		  "filter":"userName sw \"p1\"","attributes":["userName"],"startIndex":1,"count":10}`), http.StatusOK)
		if r.doc["totalResults"] != 1.0 || r.str("Resources.0.userName") != "p1@acme.example" || get(r.doc, "Resources.0.emails") != nil {
			t.Errorf(".search: %s", r.body)
		}
		// co/sw/ew escape % and _.
		r = e.must(e.do("GET", "/Users?filter="+q(`userName co "%"`), nil), http.StatusOK)
		if r.doc["totalResults"] != 0.0 {
			t.Errorf("co %%: %s", r.body)
		}

		// ServiceProviderConfig tells the truth.
		r = e.must(e.do("GET", "/ServiceProviderConfig", nil), http.StatusOK)
		for _, k := range []string{"etag.supported", "sort.supported", "filter.supported", "patch.supported"} {
			if get(r.doc, k) != true {
				t.Errorf("%s not true: %s", k, r.body)
			}
		}
		if strings.Contains(string(r.body), `""`) {
			t.Errorf("empty string in the config: %s", r.body)
		}
		e.must(e.do("GET", "/Schemas", nil), http.StatusOK)
		e.must(e.do("GET", "/ResourceTypes", nil), http.StatusOK)
		if r := e.do("HEAD", "/Users/"+ids[1], nil); r.status != http.StatusOK || len(r.body) != 0 {
			t.Errorf("HEAD: %d %q", r.status, r.body)
		}
	})
}

// TestRateLimit: past the per-token rate, 429 with Retry-After and a SCIM body;
// another token is not affected.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{RatePerSecond: 1, Burst: 2})
	e.must(e.do("GET", "/Users", nil), http.StatusOK)
	e.must(e.do("GET", "/Users", nil), http.StatusOK)
	r := e.must(e.do("GET", "/Users", nil), http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	e.must(e.doToken(e.token2, "GET", "/Users", nil), http.StatusOK)

	// Each bulk operation counts: three in one /Bulk exceed a burst of 2.
	e = newEnv(t, "sqlite", scim.Options{RatePerSecond: 1, Burst: 2})
	bulk := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` +
		`{"method":"DELETE","path":"/Users/x"},{"method":"DELETE","path":"/Users/y"},{"method":"DELETE","path":"/Users/z"}]}`
	r = e.must(e.do("POST", "/Bulk", bulk), http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("bulk: no Retry-After")
	}
}

// TestBulk: bulkId references, failOnErrors, maxOperations.
func TestBulk(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		r := e.must(e.do("POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[
		  {"method":"POST","path":"/Users","bulkId":"u1","data":`+userJSON("bulk@acme.example", "bulk@acme.example", "b1")+`},
		  {"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Bulk","members":[{"value":"bulkId:u1"}]}},
		  {"method":"PATCH","path":"/Users/bulkId:u1","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Boss"}]}},
		  {"method":"POST","path":"/Users","bulkId":"u2","data":`+userJSON("bulk@acme.example", "bulk@acme.example", "b2")+`},
		  {"method":"DELETE","path":"/Groups/bulkId:g1"}]}`), http.StatusOK)
		ops, _ := r.doc["Operations"].([]any)
		var statuses []string
		for _, o := range ops {
			statuses = append(statuses, get(o, "status").(string))
		}
		if strings.Join(statuses, ",") != "201,201,200,409" {
			t.Fatalf("statuses %v: %s", statuses, r.body)
		}
		gid := strings.TrimPrefix(get(ops[1], "location").(string), "https://id.example.com/scim/v2/Groups/")
		uid := strings.TrimPrefix(get(ops[0], "location").(string), "https://id.example.com/scim/v2/Users/")
		e.mustMembers(gid, uid)
		many := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` +
			strings.TrimSuffix(strings.Repeat(`{"method":"DELETE","path":"/Users/x"},`, 1001), ",") + `]}`
		e.must(e.do("POST", "/Bulk", many), http.StatusRequestEntityTooLarge)
	})
}

// TestAudit: each SCIM change is in the audit log with the token's name as actor.
func TestAudit(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{})
	id := e.createUser(userJSON("aud@acme.example", "aud@acme.example", "aud"))
	e.must(e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`), http.StatusOK)
	es, err := e.st.ListAudit(t.Context(), store.AuditQuery{OrgID: e.org.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range es {
		if a.Actor.Kind == store.ActorSCIM {
			if a.Actor.Name != "Acme IdP" {
				t.Errorf("actor name %q, want the token's name", a.Actor.Name)
			}
			got = append(got, a.Action)
		}
	}
	if strings.Join(got, ",") != "member.update,member.create" {
		t.Errorf("SCIM audit entries %v", got)
	}
}

// TestPassword: Okta's password sets the account's password where the org
// does not use SSO; it is never returned.
func TestPassword(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{})
	id := e.createUser(userJSON("pw@acme.example", "pw@acme.example", "pw"))
	r := e.must(e.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"a-long-enough-secret-1"}}]}`), http.StatusOK)
	if strings.Contains(string(r.body), "long-enough-secret") {
		t.Fatal("password returned")
	}
	if _, err := e.st.PasswordSignIn(t.Context(), e.org.ID, "pw@acme.example", "a-long-enough-secret-1"); err != nil {
		t.Fatalf("sign in with the IdP's password: %v", err)
	}
	put := strings.Replace(userJSON("pw@acme.example", "pw@acme.example", "pw"), `"active":true`, `"active":true,"password":"another-long-secret-2"`, 1)
	e.must(e.do("PUT", "/Users/"+id, put), http.StatusOK)
	if _, err := e.st.PasswordSignIn(t.Context(), e.org.ID, "pw@acme.example", "another-long-secret-2"); err != nil {
		t.Fatalf("sign in after PUT: %v", err)
	}
	if strings.Contains(e.logText(), "long-enough-secret") || strings.Contains(e.logText(), "another-long-secret") {
		t.Fatal("password logged")
	}
}

// TestInternalError: a lost database is a 503 with Retry-After (the IdP
// retries), the cause logged with the request id, never sent.
func TestInternalError(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{})
	id := e.createUser(userJSON("ie@acme.example", "ie@acme.example", "ie"))
	_ = e.st.Backend().Close()
	for _, p := range []string{"/Users/" + id, "/Users"} {
		r := e.do("GET", p, nil)
		checkErrorBody(t, r)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || strings.Contains(r.str("detail"), "closed") {
			t.Errorf("GET %s: %d Retry-After %q %s", p, r.status, r.header.Get("Retry-After"), r.body)
		}
		if rid := r.header.Get("X-Request-Id"); rid == "" || !strings.Contains(e.logText(), "request_id="+rid) {
			t.Errorf("the log has no entry with request id %q", rid)
		}
	}
}

// TestTokens: several tokens per org; a revoked one is refused at once.
func TestTokens(t *testing.T) {
	e := newEnv(t, "sqlite", scim.Options{})
	sup := store.SupportActor("test")
	second, tok, err := e.st.CreateSCIMToken(t.Context(), sup, e.org.ID, "rotation")
	if err != nil {
		t.Fatal(err)
	}
	e.must(e.doToken(second, "GET", "/Users", nil), http.StatusOK)
	e.must(e.do("GET", "/Users", nil), http.StatusOK)
	if _, err := e.st.RevokeSCIMToken(t.Context(), sup, e.org.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	r := e.must(e.doToken(second, "GET", "/Users", nil), http.StatusUnauthorized)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("no WWW-Authenticate on 401")
	}
	e.must(e.do("GET", "/Users", nil), http.StatusOK)
}
