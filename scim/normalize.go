package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	scimerr "github.com/elimity-com/scim/errors"
)

// listParams are the list parameters the library leaves to us; normalize
// takes them out of the query so the library never sees the filter (its
// validator refuses real IdP filters, see idp-traffic.md).
type listParams struct {
	filter     string
	sortBy     string
	descending bool
	attributes []string
	excluded   []string
	// returned is set by a list to the number of resources it returned
	// (the library reports the requested count as itemsPerPage).
	returned *int
}

func listParamsOf(ctx context.Context) listParams {
	p, _ := ctx.Value(listKey).(listParams)
	return p
}

// normalize returns the request the library should see: the path relative
// to the mount point, list parameters moved into the context, and a body
// rewritten from the IdPs' dialects into RFC 7644.
func (h *Handler) normalize(r *http.Request, path string, body []byte) (*http.Request, *scimerr.ScimError) {
	q := r.URL.Query()
	p := listParams{filter: strings.TrimSpace(q.Get("filter")), sortBy: strings.TrimSpace(q.Get("sortBy")), returned: new(int)}
	*p.returned = -1
	if len(p.filter) > h.opt.MaxFilterLength {
		e := badRequest(scimerr.ScimTypeInvalidFilter, "The filter is longer than %d characters.", h.opt.MaxFilterLength)
		return nil, &e
	}
	switch so := q.Get("sortOrder"); so {
	case "", "ascending":
	case "descending":
		p.descending = true
	default:
		e := badRequest(scimerr.ScimTypeInvalidValue, "sortOrder is ascending or descending.")
		return nil, &e
	}
	p.attributes = splitList(q.Get("attributes"))
	p.excluded = splitList(q.Get("excludedAttributes"))
	for _, k := range []string{"filter", "sortBy", "sortOrder", "attributes", "excludedAttributes", "aadOptscim062020"} {
		q.Del(k)
	}
	r2 := r.Clone(context.WithValue(r.Context(), listKey, p))
	r2.URL.Path, r2.URL.RawPath, r2.URL.RawQuery = path, "", q.Encode()

	if body != nil {
		out, e := normalizeBody(r.Method, path, body, h.opt.MaxPatchOperations)
		if e != nil {
			return nil, e
		}
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	}
	return r2, nil
}

// listParamNames are the parameters a list reads once: given twice, one
// would be dropped.
var listParamNames = []string{"filter", "sortBy", "sortOrder", "attributes", "excludedAttributes", "startIndex", "count"}

var errNUL = badRequest(scimerr.ScimTypeInvalidValue, "A NUL character (U+0000) is not allowed in SCIM values and filters.")

// checkQuery refuses a query string that does not parse as a whole (a bad
// %-escape, a ";"), a list parameter given twice, and NUL characters: Go's
// parser drops a pair it cannot read, and a list without its filter answers
// with every resource. A bad filter pair is invalidFilter.
func checkQuery(raw string) *scimerr.ScimError {
	if raw == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || strings.Contains(pair, ";") {
			if key == "filter" || strings.HasPrefix(k, "filter") {
				e := badRequest(scimerr.ScimTypeInvalidFilter, "The filter parameter is not a valid URL-encoded value (a %% must start an escape like %%22; a ; must be sent as %%3B).")
				return &e
			}
			e := badRequest(scimerr.ScimTypeInvalidSyntax, "The query string is not valid URL encoding (a %% must start an escape like %%22; a ; must be sent as %%3B).")
			return &e
		}
		if strings.IndexByte(key, 0) >= 0 || strings.IndexByte(val, 0) >= 0 {
			return &errNUL
		}
		if seen[key] && slices.Contains(listParamNames, key) {
			t := scimerr.ScimTypeInvalidValue
			if key == "filter" {
				t = scimerr.ScimTypeInvalidFilter
			}
			e := badRequest(t, "The parameter %s is given more than once.", key)
			return &e
		}
		seen[key] = true
	}
	return nil
}

// hasNUL reports whether a decoded JSON value holds a NUL character in a
// string or a member name.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case map[string]any:
		for k, e := range v {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return io.ErrUnexpectedEOF
	}
	return nil
}

var errSyntax = badRequest(scimerr.ScimTypeInvalidSyntax, "The request body is not a valid JSON object.")

func normalizeBody(method, path string, body []byte, maxOps int) ([]byte, *scimerr.ScimError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return body, nil
	}
	var doc map[string]any
	if err := decodeJSON(body, &doc); err != nil {
		return nil, &errSyntax
	}
	if hasNUL(doc) {
		return nil, &errNUL
	}
	isUser := strings.HasPrefix(path, "/Users")
	if method == http.MethodPatch {
		if e := normalizePatch(doc, isUser, path[strings.LastIndex(path, "/")+1:], maxOps); e != nil {
			return nil, e
		}
	} else if isUser {
		normalizeUser(doc)
	} else {
		normalizeResource(doc)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, &errSyntax
	}
	return out, nil
}

// normalizeResource drops nulls (RFC 7643 2.5: unassigned) and keeps in
// schemas only the URNs we serve (Entra adds a Microsoft one to groups).
func normalizeResource(doc map[string]any) {
	dropNulls(doc)
	if ss, ok := doc["schemas"].([]any); ok {
		kept := make([]any, 0, len(ss))
		for _, s := range ss {
			if str, _ := s.(string); str == userURN || str == groupURN || str == enterpriseURN {
				kept = append(kept, s)
			}
		}
		doc["schemas"] = kept
	}
}

// normalizeUser fixes a user document: nulls, schemas, string booleans,
// manager as a plain string.
func normalizeUser(doc map[string]any) {
	normalizeResource(doc)
	fixBooleans(doc)
	if ext, ok := lookup(doc, enterpriseURN).(map[string]any); ok {
		fixManager(ext)
	}
}

// fixBooleans turns Entra's "True"/"False" into booleans where the schema
// has a boolean (active, and primary inside multi-valued attributes).
func fixBooleans(doc map[string]any) {
	for k, v := range doc {
		switch {
		case strings.EqualFold(k, "active") || strings.EqualFold(k, "primary"):
			doc[k] = boolOf(v)
		default:
			switch v := v.(type) {
			case []any:
				for _, e := range v {
					if m, ok := e.(map[string]any); ok {
						fixBooleans(m)
					}
				}
			case map[string]any:
				fixBooleans(v)
			}
		}
	}
}

func boolOf(v any) any {
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}

// fixManager turns "manager": "id" into "manager": {"value": "id"} (Entra).
func fixManager(ext map[string]any) {
	for k, v := range ext {
		if strings.EqualFold(k, "manager") {
			if s, ok := v.(string); ok {
				if s == "" {
					delete(ext, k)
				} else {
					ext[k] = map[string]any{"value": s}
				}
			}
		}
	}
}

func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

// lookup finds a key case-insensitively (SCIM attribute names are).
func lookup(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// maxPatchPathBytes bounds the bytes of all the paths of one PATCH: the
// library parses each path at about 10µs a byte (0.7 ms for Okta's
// members[value eq "id"]), so 128 KiB of paths cost about a second of CPU,
// a megabyte ten. 1000 operations of 131 bytes on average fit.
const maxPatchPathBytes = 128 << 10

// normalizePatch rewrites each PATCH operation: paths equal to the extension
// URN become path-less values under the URN; manager strings become
// {"value": ...}; string booleans become booleans; nulls go.
func normalizePatch(doc map[string]any, isUser bool, id string, maxOps int) *scimerr.ScimError {
	ops, ok := lookup(doc, "Operations").([]any)
	if !ok {
		return nil // the library answers the missing Operations
	}
	if len(ops) > maxOps {
		e := badRequest(scimerr.ScimTypeTooMany, "A PATCH request has at most %d operations; this one has %d: send them in several requests.", maxOps, len(ops))
		return &e
	}
	pathBytes := 0
	for _, o := range ops {
		if op, ok := o.(map[string]any); ok {
			p, _ := lookup(op, "path").(string)
			pathBytes += len(p)
		}
	}
	if pathBytes > maxPatchPathBytes {
		e := badRequest(scimerr.ScimTypeTooMany, "The paths of a PATCH request are at most %d bytes in all; these have %d: send them in several requests.", maxPatchPathBytes, pathBytes)
		return &e
	}
	expanded := make([]any, 0, len(ops))
	defer func() { setKey(doc, "Operations", expanded) }()
	for _, o := range ops {
		expanded = append(expanded, o)
		op, ok := o.(map[string]any)
		if !ok {
			return &errSyntax
		}
		// canonical member names for the library's case-sensitive decoding
		for _, k := range []string{"op", "path", "value"} {
			if v := lookup(op, k); v != nil {
				for kk := range op {
					if strings.EqualFold(kk, k) {
						delete(op, kk)
					}
				}
				op[k] = v
			}
		}
		if s, ok := op["op"].(string); ok {
			op["op"] = strings.ToLower(s)
		}
		dropNulls(op["value"])
		path, _ := op["path"].(string)
		path = strings.TrimSpace(path)
		// The library refuses paths to read-only attributes as invalid; RFC
		// 7644 wants mutability, and a no-op write of the same id passes.
		switch p := strings.ToLower(path); {
		case p == "id" && op["value"] == id && op["op"] != "remove":
			delete(op, "path") // a path-less add of nothing: a no-op
			op["op"], op["value"] = "add", map[string]any{}
			continue
		case p == "id" || p == "meta" || strings.HasPrefix(p, "meta."):
			e := badRequest(scimerr.ScimTypeMutability, "%s is read-only.", path)
			return &e
		}
		if !isUser {
			continue
		}
		switch {
		case strings.EqualFold(path, enterpriseURN) && op["op"] == "remove":
			// the extension as a whole: a remove of each of its attributes
			expanded = expanded[:len(expanded)-1]
			for _, a := range enterpriseSchema.Attributes {
				expanded = append(expanded, map[string]any{"op": "remove", "path": enterpriseURN + ":" + a.Name()})
			}
		case strings.EqualFold(path, enterpriseURN):
			delete(op, "path")
			if m, ok := op["value"].(map[string]any); ok {
				fixManager(m)
			}
			op["value"] = map[string]any{enterpriseURN: op["value"]}
		case strings.EqualFold(path, enterpriseURN+":manager"):
			if s, ok := op["value"].(string); ok {
				op["value"] = map[string]any{"value": s}
			}
		case strings.EqualFold(path, "active") || strings.HasSuffix(strings.ToLower(path), ".primary"):
			op["value"] = boolOf(op["value"])
		case path == "":
			if m, ok := op["value"].(map[string]any); ok {
				fixPathless(m)
			}
		}
	}
	return nil
}

// fixPathless fixes the value of a path-less operation: its keys are paths.
func fixPathless(m map[string]any) {
	fixBooleans(m)
	for k, v := range m {
		switch {
		case strings.EqualFold(k, enterpriseURN):
			if ext, ok := v.(map[string]any); ok {
				fixManager(ext)
			}
		case strings.EqualFold(k, enterpriseURN+":manager"):
			if s, ok := v.(string); ok {
				m[k] = map[string]any{"value": s}
			}
		}
	}
}
