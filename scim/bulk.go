package scim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	scimerr "github.com/elimity-com/scim/errors"
)

type bulkOp struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type bulkResult struct {
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Location string          `json:"location,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

var bulkRef = regexp.MustCompile(`"bulkId:([^"\\]+)"`)

// bulk serves POST /Bulk (RFC 7644 3.7): operations run in order, each as
// the equivalent single request (same normalization, rules and errors);
// "bulkId:x" references resolve to the ids created earlier in the request;
// failOnErrors stops after that many errors; maxOperations and
// maxPayloadSize (the body limit) are enforced.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Schemas      []string `json:"schemas"`
		FailOnErrors int      `json:"failOnErrors"`
		Operations   []bulkOp `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, errSyntax)
		return
	}
	if len(req.Schemas) != 1 || req.Schemas[0] != bulkReqURN {
		writeError(w, badRequest(scimerr.ScimTypeInvalidValue, "schemas must be [%q].", bulkReqURN))
		return
	}
	if len(req.Operations) > h.opt.MaxBulkOperations {
		writeError(w, statusError(http.StatusRequestEntityTooLarge,
			"The bulk request has more than maxOperations ("+strconv.Itoa(h.opt.MaxBulkOperations)+") operations."))
		return
	}
	// Each operation counts as a request against the token's rate limit
	// (the bulk request itself took the first).
	if wait, ok := h.limits.take(token(r.Context()).ID, len(req.Operations)-1); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		writeError(w, statusError(http.StatusTooManyRequests, "Too many requests for this token: each bulk operation counts as one; retry after the time in Retry-After."))
		return
	}
	created := map[string]string{} // bulkId -> id
	results := make([]bulkResult, 0, len(req.Operations))
	errs := 0
	for _, op := range req.Operations {
		if req.FailOnErrors > 0 && errs >= req.FailOnErrors {
			break
		}
		res := h.bulkOne(r, op, created)
		if n, _ := strconv.Atoi(res.Status); n >= 400 {
			errs++
		}
		results = append(results, res)
	}
	b, _ := json.Marshal(map[string]any{"schemas": []string{bulkRespURN}, "Operations": results})
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (h *Handler) bulkOne(r *http.Request, op bulkOp, created map[string]string) bulkResult {
	res := bulkResult{Method: op.Method, BulkID: op.BulkID}
	fail := func(e scimerr.ScimError) bulkResult {
		res.Status = strconv.Itoa(e.Status)
		res.Response, _ = json.Marshal(e)
		return res
	}
	method := strings.ToUpper(op.Method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return fail(badRequest(scimerr.ScimTypeInvalidValue, "method must be POST, PUT, PATCH or DELETE."))
	}
	if method == http.MethodPost && op.BulkID == "" {
		return fail(badRequest(scimerr.ScimTypeInvalidValue, "POST operations need a bulkId."))
	}
	path := op.Path
	var unresolved string
	resolve := func(s string) string {
		return bulkRef.ReplaceAllStringFunc(s, func(m string) string {
			id, ok := created[bulkRef.FindStringSubmatch(m)[1]]
			if !ok {
				unresolved = m
				return m
			}
			return `"` + id + `"`
		})
	}
	data := []byte(resolve(string(op.Data)))
	if strings.Contains(path, "bulkId:") {
		parts := strings.Split(path, "/")
		for i, p := range parts {
			if id, ok := created[strings.TrimPrefix(p, "bulkId:")]; ok && strings.HasPrefix(p, "bulkId:") {
				parts[i] = id
			} else if strings.HasPrefix(p, "bulkId:") {
				unresolved = p
			}
		}
		path = strings.Join(parts, "/")
	}
	if unresolved != "" {
		return fail(statusError(http.StatusConflict, "The reference "+unresolved+" names no resource created earlier in this request."))
	}
	// /Users, /Groups or one resource of them: never a search or another endpoint.
	kind, id, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if kind != "Users" && kind != "Groups" || strings.Contains(id, "/") || strings.HasPrefix(id, ".") {
		return fail(statusError(http.StatusNotFound, "Bulk operations apply to /Users, /Groups, /Users/{id} and /Groups/{id}."))
	}
	sub := r.Clone(r.Context())
	sub.Method = method
	sub.URL.Path, sub.URL.RawQuery = h.opt.Prefix+path, ""
	sub.Body, sub.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
	sub.Header = http.Header{"Content-Type": {contentType}}
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	var body []byte
	if method != http.MethodDelete {
		body = data
	}
	rec := &recorder{header: http.Header{}}
	h.serve(rec, sub, path, body)
	res.Status = strconv.Itoa(rec.status)
	res.Location = rec.header.Get("Location")
	res.Version = rec.header.Get("Etag")
	if rec.status >= 400 {
		res.Response = json.RawMessage(bytes.Clone(rec.body.Bytes()))
		return res
	}
	if method == http.MethodPost {
		var doc struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(rec.body.Bytes(), &doc) == nil && doc.ID != "" {
			created[op.BulkID] = doc.ID
		}
	}
	if res.Location == "" && method != http.MethodDelete {
		res.Location = h.opt.BaseURL + h.opt.Prefix + path
	}
	return res
}
