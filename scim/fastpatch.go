package scim

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/elimity-com/scim"
	filter "github.com/scim2/filter-parser/v2"
)

// membersPath is the parsed path "members".
var membersPath, _ = filter.ParsePath([]byte("members"))

// memberValueRE is Okta's path of one member to remove: members[value eq "id"].
var memberValueRE = regexp.MustCompile(`^members\[(?i:value\s+eq)\s+"([^"\\]*)"\]$`)

// memberPath is the parsed path members[value eq "id"].
func memberPath(id string) *filter.Path {
	return &filter.Path{AttributePath: filter.AttributePath{AttributeName: "members"},
		ValueExpression: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "value"}, Operator: filter.EQ, CompareValue: id}}
}

// fastGroupPatch serves, without the library, the PATCH an IdP sends most
// during a sync: adds and removes of a group's members by the path
// "members" with a list of members. The library parses every operation's
// path with a general parser, a fifth of the CPU of one member add, and
// 0.7 ms for each of Okta's removes by members[value eq "id"]. Any
// other shape, or a member without a string value, goes to the library
// (false), which validates and answers it. r carries the normalized body.
func (h *Handler) fastGroupPatch(w http.ResponseWriter, r *http.Request) bool {
	id, ok := strings.CutPrefix(r.URL.Path, "/Groups/")
	if r.Method != http.MethodPatch || !ok || id == "" || strings.Contains(id, "/") {
		return false
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value"`
		} `json:"Operations"`
	}
	if err != nil || decodeJSON(body, &req) != nil || len(req.Schemas) != 1 || req.Schemas[0] != patchOpURN || len(req.Operations) == 0 {
		return false
	}
	ops := make([]scim.PatchOperation, 0, len(req.Operations))
	for _, op := range req.Operations {
		if m := memberValueRE.FindStringSubmatch(op.Path); m != nil && op.Op == scim.PatchOperationRemove && op.Value == nil {
			ops = append(ops, scim.PatchOperation{Op: op.Op, Path: memberPath(m[1])})
			continue
		}
		list, isList := op.Value.([]any)
		if !strings.EqualFold(op.Path, "members") || (op.Op != scim.PatchOperationAdd && op.Op != scim.PatchOperationRemove) || !isList {
			return false
		}
		for _, m := range list {
			obj, isObj := m.(map[string]any)
			if !isObj {
				return false
			}
			if _, isStr := obj["value"].(string); !isStr {
				return false
			}
		}
		ops = append(ops, scim.PatchOperation{Op: op.Op, Path: &membersPath, Value: list})
	}
	if _, err := h.groups.Patch(r, id, ops); err != nil {
		writeError(w, h.toSCIM(r, err))
		return true
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}
