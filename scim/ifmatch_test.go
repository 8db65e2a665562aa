package scim_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

// If-Match is checked inside the change's transaction: of concurrent
// changes naming one version, exactly one wins and the others get 412.
func TestIfMatchIsAtomic(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		uid := e.createUser(userJSON("race@acme.example", "race@acme.example", "race"))
		g := e.must(e.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Race"}`), http.StatusCreated)
		gid := g.str("id")
		userPatch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"T"}]}`
		groupPatch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + uid + `"}]}]}`
		for _, tc := range []struct{ path, patch string }{{"/Users/" + uid, userPatch}, {"/Groups/" + gid, groupPatch}} {
			tag := e.must(e.do("GET", tc.path, nil), http.StatusOK).header.Get("Etag")
			const n = 8
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = e.do("PATCH", tc.path, tc.patch, "If-Match", tag).status
				}()
			}
			wg.Wait()
			won := 0
			for _, c := range codes {
				switch c {
				case http.StatusOK, http.StatusNoContent:
					won++
				case http.StatusPreconditionFailed:
				default:
					t.Errorf("%s: status %d", tc.path, c)
				}
			}
			if won != 1 {
				t.Errorf("%s: %d of %d PATCHes with one If-Match won (%v), want 1", tc.path, won, n, codes)
			}
		}
	})
}

// A PUT is one change: when its last part is refused, nothing of it stays.
func TestUserReplaceIsAllOrNothing(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		e.createUser(userJSON("taken@acme.example", "taken@acme.example", "ext-taken"))
		id := e.createUser(userJSON("whole@acme.example", "whole@acme.example", "ext-whole"))
		// A new name and title, and an externalId another user has: 409.
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"whole@acme.example","externalId":"ext-taken",
			"active":true,"title":"New title","name":{"givenName":"Renamed","familyName":"Person"},
			"emails":[{"value":"whole@acme.example","type":"work","primary":true}]}`
		e.must(e.do("PUT", "/Users/"+id, body), http.StatusConflict)
		r := e.must(e.do("GET", "/Users/"+id, nil), http.StatusOK)
		if r.str("name.givenName") != "Given ext-whole" || r.str("title") != "" || r.str("externalId") != "ext-whole" {
			t.Errorf("a refused PUT left changes: %s", r.body)
		}
		// The account's own name (what every org shows) is unchanged too.
		if a, err := e.st.AccountByEmail(context.Background(), "whole@acme.example"); err != nil || a.GivenName != "Given ext-whole" {
			t.Errorf("a refused PUT renamed the account: %+v, %v", a, err)
		}
	})
}
