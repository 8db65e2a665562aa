package scim

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"

	"github.com/idbridge/idbridge/store"
)

const contentType = "application/scim+json"

// Options configure the SCIM handler. Zero values take the defaults.
type Options struct {
	// BaseURL is idbridge's public URL; resource locations are BaseURL + Prefix.
	BaseURL string
	// Prefix is where the handler is mounted (default "/scim/v2").
	Prefix string
	Log    *slog.Logger
	// RequestID returns the id the server gave a request, for logs.
	RequestID func(context.Context) string
	// MaxBodyBytes bounds a request body (default 1 MiB); larger is 413.
	MaxBodyBytes int64
	// MaxFilterLength bounds the filter parameter (default 4096 bytes).
	MaxFilterLength int
	// MaxResults caps count (default 1000, store.MaxPageSize at most).
	MaxResults int
	// RatePerSecond and Burst bound requests per token (defaults 10,000/s, burst
	// 20,000: above an initial sync at full speed, far above Entra's 25/s).
	RatePerSecond float64
	Burst         int
	// MaxBulkOperations bounds the operations of one /Bulk request (default 1000).
	MaxBulkOperations int
	// MaxPatchOperations bounds the operations of one PATCH (default 1000);
	// more is a 400 tooMany.
	MaxPatchOperations int
	// MaxValues bounds the values of each multi-valued attribute of a user
	// (emails, phoneNumbers, addresses, ...; default 100); a POST, PUT or
	// PATCH that would store more is a 400 invalidValue. Group members are
	// bounded by MaxPatchOperations and MaxBodyBytes only.
	MaxValues int
	// Timeout bounds one request's database work (default 10s).
	Timeout time.Duration
	Now     func() time.Time
	// RequestLog, when set, records every authenticated request in the
	// org's SCIM request log (its Run must run).
	RequestLog *RequestLog
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "/scim/v2"
	}
	o.Prefix = "/" + strings.Trim(o.Prefix, "/")
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RequestID == nil {
		o.RequestID = func(context.Context) string { return "" }
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxFilterLength <= 0 {
		o.MaxFilterLength = 4096
	}
	if o.MaxResults <= 0 || o.MaxResults > store.MaxPageSize {
		o.MaxResults = store.MaxPageSize
	}
	if o.RatePerSecond <= 0 {
		o.RatePerSecond = 10000
	}
	if o.Burst <= 0 {
		o.Burst = 2 * int(o.RatePerSecond)
	}
	if o.MaxBulkOperations <= 0 {
		o.MaxBulkOperations = 1000
	}
	if o.MaxPatchOperations <= 0 {
		o.MaxPatchOperations = 1000
	}
	if o.MaxValues <= 0 {
		o.MaxValues = 100
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Handler serves SCIM 2.0 for every org; the bearer token picks the org.
type Handler struct {
	st        *store.Store
	opt       Options
	log       *slog.Logger
	requestID func(context.Context) string
	lib       scim.Server
	limits    *limiter
	users     *users
	groups    *groups
}

// NewHandler returns the SCIM endpoint over st, to be mounted at opt.Prefix.
func NewHandler(st *store.Store, opt Options) *Handler {
	opt.defaults()
	h := &Handler{st: st, opt: opt, log: opt.Log, requestID: opt.RequestID,
		limits: newLimiter(opt.RatePerSecond, opt.Burst, opt.Now)}
	h.users = &users{h: h}
	h.groups = &groups{h: h}
	lib, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{MaxResults: opt.MaxResults, SupportFiltering: true, SupportPatch: true},
		ResourceTypes:         h.resourceTypes(),
	}, scim.WithBaseURL(opt.BaseURL+opt.Prefix), scim.WithLogger(libLogger{opt.Log}))
	if err != nil { // only for nil arguments, which are never passed
		opt.Log.Error("scim.init", "err", err)
	}
	h.lib = lib
	return h
}

type ctxKey int

const (
	tokenKey ctxKey = iota
	listKey
)

// token returns the authenticated SCIM token of the request.
func token(ctx context.Context) store.SCIMToken {
	t, _ := ctx.Value(tokenKey).(store.SCIMToken)
	return t
}

func actor(r *http.Request) store.Actor { return store.SCIMActor(token(r.Context())) }
func orgOf(r *http.Request) string      { return token(r.Context()).OrgID }

// ServeHTTP records the request in the org's SCIM request log when there is
// one, and serves it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opt.RequestLog == nil {
		h.serveHTTP(w, r)
		return
	}
	h.logged(w, r, h.serveHTTP)
}

// serveHTTP authenticates, limits, normalizes, and hands the request to the library.
func (h *Handler) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("scim.panic", "panic", v, "request_id", h.requestID(r.Context()), "path", r.URL.Path)
			writeError(w, statusError(http.StatusInternalServerError, "internal error"))
		}
	}()
	w.Header().Set("Content-Type", contentType)
	path := strings.TrimPrefix(r.URL.Path, h.opt.Prefix)
	if path == "" {
		path = "/"
	}

	t, err := h.authenticate(r)
	if err != nil {
		e := h.toSCIM(r, err)
		if e.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		}
		writeError(w, e)
		return
	}
	rec := logRecordOf(r.Context())
	if rec != nil {
		rec.token = t
	}
	if wait, ok := h.limits.allow(t.ID); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		writeError(w, statusError(http.StatusTooManyRequests, "Too many requests for this token; retry after the time in Retry-After."))
		return
	}
	if e := checkQuery(r.URL.RawQuery); e != nil {
		writeError(w, *e)
		return
	}
	if isDiscovery(path) && r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, statusError(http.StatusMethodNotAllowed, "/ServiceProviderConfig, /Schemas and /ResourceTypes are read-only: use GET."))
		return
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), tokenKey, t), h.opt.Timeout)
	defer cancel()
	r = r.WithContext(ctx)

	var body []byte
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		if e, ok := checkContentType(r); !ok {
			writeError(w, e)
			return
		}
		if body, err = h.readBody(r); err != nil {
			writeError(w, h.bodyError(err))
			return
		}
		if rec != nil {
			rec.body = body
		}
	}

	switch {
	case path == "/ServiceProviderConfig" && r.Method == http.MethodGet:
		h.serviceProviderConfig(w, r)
		return
	case path == "/ServiceProviderConfig" && r.Method == http.MethodHead:
		h.serviceProviderConfig(headWriter{w}, r)
		return
	case path == "/Bulk":
		if r.Method != http.MethodPost {
			writeError(w, statusError(http.StatusMethodNotAllowed, "Use POST for /Bulk."))
			return
		}
		h.bulk(w, r, body)
		return
	case strings.HasSuffix(path, "/.search") && r.Method == http.MethodPost:
		h.search(w, r, path, body)
		return
	case r.Method == http.MethodHead:
		r.Method = http.MethodGet
		h.serve(headWriter{w}, r, path, nil)
		return
	}
	h.serve(w, r, path, body)
}

// serve normalizes one request and runs it through the library, then
// post-processes the response (attribute selection, If-None-Match).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	r2, e := h.normalize(r, path, body)
	if e != nil {
		writeError(w, *e)
		return
	}
	if h.fastGroupPatch(w, r2) {
		return
	}
	r2 = withLateError(r2)
	rec := &recorder{header: http.Header{}}
	h.lib.ServeHTTP(rec, r2)
	h.respond(w, r2, rec)
}

// isDiscovery reports whether path is a read-only discovery endpoint (RFC 7644 4).
func isDiscovery(path string) bool {
	for _, p := range []string{"/ServiceProviderConfig", "/Schemas", "/ResourceTypes"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

func (h *Handler) authenticate(r *http.Request) (store.SCIMToken, error) {
	auth := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return store.SCIMToken{}, store.ErrBadToken
	}
	return h.st.AuthenticateSCIMToken(r.Context(), strings.TrimSpace(secret))
}

// checkContentType accepts application/scim+json and application/json
// (Okta), and a missing type on an empty body.
func checkContentType(r *http.Request) (scimerr.ScimError, bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return scimerr.ScimError{}, true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == contentType || mt == "application/json") {
		return scimerr.ScimError{}, true
	}
	return statusError(http.StatusUnsupportedMediaType, "Send application/scim+json (or application/json)."), false
}

// readBody reads the whole body, failing when it exceeds the limit or cannot
// be read (bodyError tells which).
func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > h.opt.MaxBodyBytes {
		return nil, errTooLarge
	}
	return io.ReadAll(http.MaxBytesReader(nil, r.Body, h.opt.MaxBodyBytes))
}

var errTooLarge = scimerr.ScimError{Status: http.StatusRequestEntityTooLarge}

func byteCount(n int64) string {
	if n%(1<<20) == 0 {
		return itoa(int(n>>20)) + " MiB"
	}
	return itoa(int(n)) + " bytes"
}

// recorder keeps the library's response so it can be post-processed.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// headWriter answers HEAD: headers and status, no body.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }

// libLogger sends the library's messages to slog.
type libLogger struct{ log *slog.Logger }

// Only the message is logged: the other arguments may hold a user's data.
func (l libLogger) Error(args ...interface{}) {
	msg := ""
	if len(args) > 0 {
		msg, _ = args[0].(string)
	}
	l.log.Error("scim.library", "msg", msg)
}
