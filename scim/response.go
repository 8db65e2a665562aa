package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	scimerr "github.com/elimity-com/scim/errors"
)

// wanted reports whether a costly attribute (groups of a user, members of a
// group) is to be returned, given attributes/excludedAttributes.
func wanted(r *http.Request, attr string) bool {
	p := listParamsOf(r.Context())
	for _, a := range p.excluded {
		if strings.EqualFold(a, attr) || strings.EqualFold(strings.SplitN(a, ".", 2)[0], attr) {
			return false
		}
	}
	if len(p.attributes) == 0 {
		return true
	}
	for _, a := range p.attributes {
		if strings.EqualFold(strings.SplitN(a, ".", 2)[0], attr) {
			return true
		}
	}
	return false
}

// respond writes the library's response after what the library leaves to
// us: If-None-Match (304), attribute selection, itemsPerPage as the number
// of resources actually returned.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, rec *recorder) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", contentType)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	body := rec.body.Bytes()
	if late, ok := lateError(r); ok && status >= 500 {
		writeError(w, late) // a 503, which the library turned into a 500
		return
	}
	if status >= 500 {
		// The library turns statuses it does not allow for a method (503 on
		// a GET) and any non-SCIM error into a 500 with its own text; the
		// client only ever sees "internal error" (the cause is logged).
		h.log.Error("scim.error_5xx", "request_id", h.requestID(r.Context()), "method", r.Method, "path", r.URL.Path,
			"detail", string(body[:min(len(body), 300)]))
		writeError(w, statusError(http.StatusInternalServerError, "internal error"))
		return
	}
	if status == http.StatusOK && r.Method == http.MethodGet {
		if inm := r.Header.Get("If-None-Match"); inm != "" && rec.header.Get("Etag") != "" &&
			etagListMatches(inm, rec.header.Get("Etag")) {
			w.Header().Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	p := listParamsOf(r.Context())
	selecting := p.attributes != nil || p.excluded != nil
	if status == http.StatusOK && !selecting && p.returned != nil && *p.returned >= 0 {
		body = fixItemsPerPage(body, *p.returned)
	} else if (status == http.StatusOK || status == http.StatusCreated) && len(body) > 0 {
		var doc map[string]any
		if decodeJSON(body, &doc) == nil {
			changed := false
			if list, ok := doc["Resources"].([]any); ok {
				for _, e := range list {
					if m, ok := e.(map[string]any); ok && selecting {
						prune(m, p.attributes, p.excluded)
					}
				}
				doc["itemsPerPage"] = len(list)
				changed = true
			} else if _, ok := doc["Resources"]; ok || doc["totalResults"] != nil {
				doc["Resources"] = []any{}
				doc["itemsPerPage"] = 0
				changed = true
			} else if selecting {
				prune(doc, p.attributes, p.excluded)
				changed = true
			}
			if changed {
				if b, err := json.Marshal(doc); err == nil {
					body = b
				}
			}
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fixItemsPerPage sets itemsPerPage in a list response without decoding
// it (the hot path of every lookup): the library writes its keys sorted, so
// itemsPerPage follows Resources, whose strings cannot hold an unescaped quote.
func fixItemsPerPage(body []byte, n int) []byte {
	const key = `"itemsPerPage":`
	i := bytes.LastIndex(body, []byte(key))
	if i < 0 {
		return body
	}
	j := i + len(key)
	k := j
	for k < len(body) && body[k] >= '0' && body[k] <= '9' {
		k++
	}
	out := make([]byte, 0, len(body)+4)
	out = append(out, body[:j]...)
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, body[k:]...)
}

// alwaysReturned are never pruned.
var alwaysReturned = map[string]bool{"id": true, "schemas": true}

// prune applies attributes (keep only those, plus id and schemas) or
// excludedAttributes (drop those) to one resource.
func prune(res map[string]any, attributes, excluded []string) {
	if len(attributes) > 0 {
		kept := map[string]any{}
		for k, v := range res {
			if alwaysReturned[k] {
				kept[k] = v
			}
		}
		for _, a := range attributes {
			copyPath(res, kept, a)
		}
		for k := range res {
			delete(res, k)
		}
		for k, v := range kept {
			res[k] = v
		}
		return
	}
	for _, a := range excluded {
		removePath(res, a)
	}
}

// splitAttr splits "urn:...:User:employeeNumber" or "name.givenName" into
// the container key ("" for the resource itself), the attribute and sub-attribute.
func splitAttr(a string) (container, attr, sub string) {
	if strings.HasPrefix(strings.ToLower(a), "urn:") {
		i := strings.LastIndex(a, ":")
		// a whole schema URN (the extension object)
		if strings.EqualFold(a, enterpriseURN) || strings.EqualFold(a, userURN) || strings.EqualFold(a, groupURN) {
			return "", a, ""
		}
		container, a = a[:i], a[i+1:]
		if strings.EqualFold(container, userURN) || strings.EqualFold(container, groupURN) {
			container = ""
		}
	}
	attr, sub, _ = strings.Cut(a, ".")
	return container, attr, sub
}

func keyOf(m map[string]any, key string) (string, bool) {
	if _, ok := m[key]; ok {
		return key, true
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}

func copyPath(src, dst map[string]any, a string) {
	container, attr, sub := splitAttr(a)
	if container != "" {
		ck, ok := keyOf(src, container)
		if !ok {
			return
		}
		s, _ := src[ck].(map[string]any)
		if s == nil {
			return
		}
		d, _ := dst[ck].(map[string]any)
		if d == nil {
			d = map[string]any{}
			dst[ck] = d
		}
		copyPath(s, d, attr+dotSub(sub))
		return
	}
	k, ok := keyOf(src, attr)
	if !ok {
		return
	}
	if sub == "" {
		dst[k] = src[k]
		return
	}
	switch v := src[k].(type) {
	case map[string]any:
		d, _ := dst[k].(map[string]any)
		if d == nil {
			d = map[string]any{}
			dst[k] = d
		}
		if sk, ok := keyOf(v, sub); ok {
			d[sk] = v[sk]
		}
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				if sk, ok := keyOf(m, sub); ok {
					out = append(out, map[string]any{sk: m[sk]})
				}
			}
		}
		dst[k] = out
	}
}

func dotSub(sub string) string {
	if sub == "" {
		return ""
	}
	return "." + sub
}

func removePath(res map[string]any, a string) {
	container, attr, sub := splitAttr(a)
	if container != "" {
		if ck, ok := keyOf(res, container); ok {
			if m, ok := res[ck].(map[string]any); ok {
				removePath(m, attr+dotSub(sub))
			}
		}
		return
	}
	k, ok := keyOf(res, attr)
	if !ok || alwaysReturned[k] {
		return
	}
	if sub == "" {
		delete(res, k)
		return
	}
	switch v := res[k].(type) {
	case map[string]any:
		if sk, ok := keyOf(v, sub); ok {
			delete(v, sk)
		}
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				if sk, ok := keyOf(m, sub); ok {
					delete(m, sk)
				}
			}
		}
	}
}

// search serves POST /Users/.search and /Groups/.search (RFC 7644 3.4.3) as
// the equivalent GET.
func (h *Handler) search(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	base := strings.TrimSuffix(path, "/.search")
	if base != "/Users" && base != "/Groups" {
		writeError(w, statusError(http.StatusNotFound, "Search is served on /Users/.search and /Groups/.search."))
		return
	}
	var req struct {
		Schemas            []string `json:"schemas"`
		Attributes         []string `json:"attributes"`
		ExcludedAttributes []string `json:"excludedAttributes"`
		Filter             string   `json:"filter"`
		SortBy             string   `json:"sortBy"`
		SortOrder          string   `json:"sortOrder"`
		StartIndex         *int     `json:"startIndex"`
		Count              *int     `json:"count"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, errSyntax)
		return
	}
	if len(req.Schemas) != 1 || req.Schemas[0] != searchURN {
		writeError(w, badRequest(scimerr.ScimTypeInvalidValue, "schemas must be [%q].", searchURN))
		return
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("filter", req.Filter)
	set("sortBy", req.SortBy)
	set("sortOrder", req.SortOrder)
	set("attributes", strings.Join(req.Attributes, ","))
	set("excludedAttributes", strings.Join(req.ExcludedAttributes, ","))
	if req.StartIndex != nil {
		q.Set("startIndex", strconv.Itoa(*req.StartIndex))
	}
	if req.Count != nil {
		q.Set("count", strconv.Itoa(*req.Count))
	}
	if e := checkQuery(q.Encode()); e != nil {
		writeError(w, *e)
		return
	}
	r2 := r.Clone(r.Context())
	r2.Method, r2.URL.RawQuery, r2.Body, r2.ContentLength = http.MethodGet, q.Encode(), http.NoBody, 0
	h.serve(w, r2, base, nil)
}
