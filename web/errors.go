package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/idbridge/idbridge/store"
)

// apiError is the body of every admin API error.
type apiError struct {
	Error string `json:"error"`
	Rule  int    `json:"rule,omitempty"`
}

// errorStatus maps a store error to a status code and a message the person
// may read. Internal errors get a generic message; the caller logs the cause.
func errorStatus(err error) (code int, msg string, rule store.Rule) {
	var re *store.RuleError
	switch {
	case errors.As(err, &re):
		return http.StatusConflict, re.Detail, re.Rule
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found", 0
	case errors.Is(err, store.ErrInvalid):
		var ie *store.InvalidError
		if errors.As(err, &ie) {
			return http.StatusBadRequest, ie.Field + ": " + ie.Detail, 0
		}
		return http.StatusBadRequest, "invalid input", 0
	case errors.Is(err, store.ErrConflict):
		var ce *store.ConflictError
		if errors.As(err, &ce) {
			return http.StatusConflict, ce.Field + " already exists", 0
		}
		return http.StatusConflict, trimKind(err, store.ErrConflict), 0
	case errors.Is(err, store.ErrForbidden):
		return http.StatusForbidden, trimKind(err, store.ErrForbidden), 0
	case errors.Is(err, store.ErrUnauthenticated):
		return http.StatusUnauthorized, trimKind(err, store.ErrUnauthenticated), 0
	case errors.Is(err, store.ErrBusy):
		return http.StatusServiceUnavailable, "too many sign-ins are being checked right now; try again in a moment", 0
	case store.Unavailable(err), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, unavailableMessage, 0
	}
	return http.StatusInternalServerError, "internal error", 0
}

// trimKind drops the sentinel's "kind: " prefix from a wrapped store error,
// leaving the sentence written for people ("forbidden: only an enabled system
// admin can do this" → "only an enabled system admin can do this").
func trimKind(err, kind error) string {
	s, p := err.Error(), kind.Error()+": "
	if i := strings.Index(s, p); i >= 0 {
		return s[i+len(p):]
	}
	return s
}

// unavailableMessage is shown while the database cannot answer (503).
const unavailableMessage = "the service is temporarily unavailable; try again in a moment"

// retryLater says when to retry a 503 of a database that cannot answer now
// (store.Unavailable); it reports whether err is such an error.
func retryLater(rw http.ResponseWriter, err error) bool {
	if !store.Unavailable(err) {
		return false
	}
	rw.Header().Set("Retry-After", strconv.Itoa(int(store.RetryAfter.Seconds())))
	return true
}

// apiFail writes a store error as JSON, logging internal ones once.
func (w *Web) apiFail(rw http.ResponseWriter, r *http.Request, err error) {
	code, msg, rule := errorStatus(err)
	if retryLater(rw, err) {
		w.log.Warn("web.unavailable", "err", err, "path", r.URL.Path, "request_id", rw.Header().Get("X-Request-Id"))
	} else if code >= 500 && !errors.Is(err, context.Canceled) { // a client that went away is no error of ours
		w.log.Error("web.api_error", "err", err, "path", r.URL.Path, "request_id", rw.Header().Get("X-Request-Id"))
	}
	writeJSON(rw, code, apiError{Error: msg, Rule: int(rule)})
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(code)
	enc := json.NewEncoder(rw)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
