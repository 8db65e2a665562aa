package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"

	scimerr "github.com/elimity-com/scim/errors"

	"github.com/idbridge/idbridge/store"
)

// conflictDetail says, per store conflict field, what is taken.
var conflictDetail = map[string]string{
	"membership":  "A user with this email already exists in this organization.",
	"user_name":   "A user with this userName already exists in this organization.",
	"external_id": "A user with this externalId already exists in this organization.",
	"email":       "This email is already used by another account.",
	"group_name":  "A group with this displayName already exists in this organization.",
}

// toSCIM maps any error of a handler to the SCIM error the client sees. It is
// the one place where store errors become status codes: ErrNotFound 404,
// *ConflictError 409 uniqueness, rule 1 400 mutability, other rules and
// *InvalidError 400 invalidValue, a database that cannot answer now
// (store.Unavailable, ErrBusy) 503 with Retry-After, anything else 500
// "internal error" with the cause logged under the request id (never sent).
func (h *Handler) toSCIM(r *http.Request, err error) scimerr.ScimError {
	var se scimerr.ScimError
	var pse *scimerr.ScimError
	var ce *store.ConflictError
	var re *store.RuleError
	var ie *store.InvalidError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &pse):
		return *pse
	case errors.Is(err, store.ErrNotFound):
		return scimerr.ScimError{Status: http.StatusNotFound, Detail: "Resource not found."}
	case errors.As(err, &ce):
		d, ok := conflictDetail[ce.Field]
		if !ok {
			d = "A unique value is already taken."
		}
		return scimerr.ScimError{Status: http.StatusConflict, ScimType: scimerr.ScimTypeUniqueness, Detail: d}
	case errors.As(err, &re):
		t := scimerr.ScimTypeInvalidValue
		if re.Rule == store.RuleSSOEmailLocked {
			t = scimerr.ScimTypeMutability
		}
		if rec := logRecordOf(r.Context()); rec != nil {
			rec.rule, rec.sentence = re.Rule, re.Detail
		}
		return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: re.Detail}
	case errors.As(err, &ie):
		return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: scimerr.ScimTypeInvalidValue, Detail: ie.Error()}
	case errors.Is(err, store.ErrInvalid):
		return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: scimerr.ScimTypeInvalidValue, Detail: err.Error()}
	case errors.Is(err, store.ErrForbidden):
		return scimerr.ScimError{Status: http.StatusForbidden, Detail: "This token may not do that."}
	case errors.Is(err, store.ErrUnauthenticated):
		return scimerr.ScimError{Status: http.StatusUnauthorized, Detail: "A valid bearer token is required."}
	case store.Unavailable(err) || errors.Is(err, store.ErrBusy):
		h.log.Warn("scim.unavailable", "err", err, "request_id", h.requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path)
		return errUnavailable
	}
	h.logInternal(r, err)
	return scimerr.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
}

func (h *Handler) logInternal(r *http.Request, err error) {
	h.log.Error("scim.internal_error", "err", err, "request_id", h.requestID(r.Context()),
		"method", r.Method, "path", r.URL.Path)
}

// errUnavailable answers while the database cannot: an IdP retries a 503
// after Retry-After (store.RetryAfter) instead of counting a failure.
var errUnavailable = scimerr.ScimError{Status: http.StatusServiceUnavailable,
	Detail: "The service is temporarily unavailable; retry after the time in Retry-After."}

// handlerErr converts an error for the library, which passes a ScimError
// through as is. Statuses it does not allow for the method (503 on a GET)
// it turns into a 500: such an error is also kept in the request's context
// (withLateError), for respond to write instead.
func (h *Handler) handlerErr(r *http.Request, err error) error {
	if err == nil {
		return nil
	}
	e := h.toSCIM(r, err)
	if late, ok := r.Context().Value(lateErrorKey).(*scimerr.ScimError); ok && e.Status == http.StatusServiceUnavailable {
		*late = e
	}
	return e
}

type lateErrorCtxKey struct{}

var lateErrorKey lateErrorCtxKey

// withLateError gives r a place for the error the library cannot write.
func withLateError(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), lateErrorKey, new(scimerr.ScimError)))
}

// lateError is the error kept for r by handlerErr, if any.
func lateError(r *http.Request) (scimerr.ScimError, bool) {
	late, ok := r.Context().Value(lateErrorKey).(*scimerr.ScimError)
	if !ok || late.Status == 0 {
		return scimerr.ScimError{}, false
	}
	return *late, true
}

// bodyError answers a request body readBody could not read: 413 over the
// limit, 408 when the client did not send it within the server's read
// timeout, 400 when the body broke off.
func (h *Handler) bodyError(err error) scimerr.ScimError {
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.Is(err, errTooLarge) || errors.As(err, &tooLarge):
		return statusError(http.StatusRequestEntityTooLarge,
			"The request body is larger than the maximum of "+byteCount(h.opt.MaxBodyBytes)+".")
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return statusError(http.StatusRequestTimeout, "The request body was not received in time.")
	}
	return statusError(http.StatusBadRequest, "The request body could not be read.")
}

// writeError writes a SCIM error body with application/scim+json; a 503
// says when to retry.
func writeError(w http.ResponseWriter, e scimerr.ScimError) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Del("Etag")
	if e.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", retryAfter(store.RetryAfter.Seconds()))
	}
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(e)
	_, _ = w.Write(b)
}

func badRequest(t scimerr.ScimType, format string, args ...any) scimerr.ScimError {
	return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: fmt.Sprintf(format, args...)}
}

func statusError(status int, detail string) scimerr.ScimError {
	if detail == "" {
		detail = http.StatusText(status)
	}
	return scimerr.ScimError{Status: status, Detail: detail}
}

// retryAfter is the Retry-After value in whole seconds, at least 1.
func retryAfter(secs float64) string {
	n := int(secs + 0.999)
	return strconv.Itoa(max(n, 1))
}
