package scim

import (
	"context"
	"fmt"
	"testing"

	"github.com/elimity-com/scim"
	filter "github.com/scim2/filter-parser/v2"
)

func addEmails(n int) error {
	p, _ := filter.ParsePath([]byte("emails"))
	values := make([]any, n)
	for i := range values {
		values[i] = map[string]any{"value": fmt.Sprintf("e%d@acme.example", i), "type": "work"}
	}
	doc := map[string]any{"emails": []any{map[string]any{"value": "first@acme.example", "primary": true}}}
	return patchUser(doc, scim.PatchOperation{Op: scim.PatchOperationAdd, Path: &p, Value: values}, "id")
}

// TestAddIsLinear: an add of n values costs work linear in n. Comparing each
// new value with each value already there (reflect.DeepEqual) allocates per
// comparison, n² in all; ten times the values must cost about ten times
// the allocations, not a hundred.
func TestAddIsLinear(t *testing.T) {
	small := testing.AllocsPerRun(3, func() { _ = addEmails(200) })
	large := testing.AllocsPerRun(3, func() { _ = addEmails(2000) })
	if large > 15*small {
		t.Fatalf("an add of 2000 values allocates %.0f times, of 200 values %.0f: not linear", large, small)
	}
}

// TestPatchStopsAtDeadline: no operation is applied once the request's
// context is done.
func TestPatchStopsAtDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := filter.ParsePath([]byte("title"))
	doc := map[string]any{"title": "before"}
	err := patchDoc(ctx, doc, []scim.PatchOperation{{Op: scim.PatchOperationReplace, Path: &p, Value: "after"}}, "id", 100)
	if err != context.Canceled || doc["title"] != "before" {
		t.Fatalf("patchDoc with a done context = %v, title %v", err, doc["title"])
	}
}
