package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idbridge/idbridge/store"
)

// RequestLog records every authenticated SCIM request of an org (the
// org's SCIM request log) off the request path: the handler hands each
// record to a buffered channel without waiting, and Run writes them in
// batches. When the buffer is full the record is dropped and counted
// (Dropped): the log never blocks or fails a SCIM request.
//
// Loss on a crash is bounded: the records still in the buffer and the batch
// being written, at most Buffer + Batch records, or the last FlushEvery of
// traffic when it is lighter. A graceful shutdown writes them.
//
// Bodies are redacted (redact) and cut at store.MaxLogBody by the writer,
// not by the handler.
type RequestLog struct {
	st    *store.Store
	opt   RequestLogOptions
	ch    chan pendingRecord
	flush chan chan struct{}
}

// RequestLogOptions configure a RequestLog. Zero values take the defaults.
type RequestLogOptions struct {
	// Buffer is how many records may wait for the writer (default 4096).
	Buffer int
	// Batch is the most records written in one transaction (default 256).
	Batch int
	// FlushEvery is the longest a record waits before a write (default 1s).
	FlushEvery time.Duration
	// Dropped is called for each record dropped because the buffer was full
	// (the server counts them in idbridge_scim_log_dropped_total).
	Dropped func()
	Log     *slog.Logger
}

type pendingRecord struct {
	rec       store.SCIMRequest
	req, resp []byte
}

// NewRequestLog returns a request log writing to st; Run must run for
// records to be written.
func NewRequestLog(st *store.Store, opt RequestLogOptions) *RequestLog {
	if opt.Buffer <= 0 {
		opt.Buffer = 4096
	}
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = time.Second
	}
	if opt.Dropped == nil {
		opt.Dropped = func() {}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &RequestLog{st: st, opt: opt, ch: make(chan pendingRecord, opt.Buffer), flush: make(chan chan struct{})}
}

// add queues a record, or drops it when the buffer is full.
func (l *RequestLog) add(p pendingRecord) {
	select {
	case l.ch <- p:
	default:
		l.opt.Dropped()
	}
}

// Run writes queued records until ctx ends, then writes what is left.
func (l *RequestLog) Run(ctx context.Context) {
	tick := time.NewTicker(l.opt.FlushEvery)
	defer tick.Stop()
	var batch []store.SCIMRequest
	write := func() {
		if len(batch) == 0 {
			return
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := l.st.RecordSCIMRequests(wctx, batch); err != nil {
			l.opt.Log.Warn("scim.log_write_failed", "records", len(batch), "err", err)
		}
		cancel()
		batch = batch[:0]
	}
	drain := func() {
		for {
			select {
			case p := <-l.ch:
				batch = append(batch, p.record())
				if len(batch) >= l.opt.Batch {
					write()
				}
			default:
				write()
				return
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			drain()
			return
		case p := <-l.ch:
			batch = append(batch, p.record())
			if len(batch) >= l.opt.Batch {
				write()
			}
		case <-tick.C:
			write()
		case done := <-l.flush:
			drain()
			close(done)
		}
	}
}

// Flush writes every record queued so far and returns once they are
// written (or ctx ends). Run must be running.
func (l *RequestLog) Flush(ctx context.Context) {
	done := make(chan struct{})
	select {
	case l.flush <- done:
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// record is the stored form: bodies redacted and cut, the SCIM error's
// type and detail read from the response.
func (p pendingRecord) record() store.SCIMRequest {
	r := p.rec
	r.RequestBody, r.ResponseBody = redact(p.req), redact(p.resp)
	if r.Status >= 400 {
		var e struct {
			ScimType string `json:"scimType"`
			Detail   string `json:"detail"`
		}
		if json.Unmarshal(p.resp, &e) == nil {
			r.ErrorType, r.ErrorDetail = e.ScimType, cut(e.Detail, 1024)
		}
	}
	return r
}

const removed = "[removed]"

// secretKey reports whether a JSON member or PATCH path names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "token") ||
		strings.Contains(k, "credential")
}

// redact returns body with the value of every member naming a password or
// secret replaced, also the value of a PATCH operation whose path names
// one, cut at store.MaxLogBody. A body that names no secret anywhere is
// kept as sent (the common case, without parsing it); one that does and is
// not JSON is withheld.
func redact(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	if !secretKey(string(body)) {
		return cut(string(body), store.MaxLogBody) // names no secret: nothing to remove
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		if secretKey(string(body)) {
			return "[not JSON; withheld because it names a password or secret]"
		}
		return cut(string(body), store.MaxLogBody)
	}
	b, err := json.Marshal(redactValue(v))
	if err != nil {
		return ""
	}
	return cut(string(b), store.MaxLogBody)
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if p, ok := v["path"].(string); ok && secretKey(p) {
			if _, has := v["value"]; has {
				v["value"] = removed
			}
		}
		for k, x := range v {
			if secretKey(k) {
				v[k] = removed
			} else {
				v[k] = redactValue(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = redactValue(x)
		}
	}
	return v
}

// cut shortens s to at most n bytes, on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// logRecord collects, during one request, what the log needs from inside
// the handler: the token, the request body, the refusing rule.
type logRecord struct {
	token    store.SCIMToken
	body     []byte
	rule     store.Rule
	sentence string
}

type logCtxKey struct{}

func logRecordOf(ctx context.Context) *logRecord {
	l, _ := ctx.Value(logCtxKey{}).(*logRecord)
	return l
}

// logWriter keeps the status and the first bytes of the response.
type logWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *logWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := store.MaxLogBody + 1 - w.body.Len(); room > 0 {
		w.body.Write(b[:min(len(b), room)])
	}
	return w.ResponseWriter.Write(b)
}

// logged serves r through serve and queues its record, when the request
// authenticated (a request without a valid token belongs to no org).
func (h *Handler) logged(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	at := h.opt.Now()
	rec := &logRecord{}
	lw := &logWriter{ResponseWriter: w}
	serve(lw, r.WithContext(context.WithValue(r.Context(), logCtxKey{}, rec)))
	if rec.token.OrgID == "" {
		return
	}
	status := lw.status
	if status == 0 {
		status = http.StatusOK
	}
	h.opt.RequestLog.add(pendingRecord{rec: store.SCIMRequest{OrgID: rec.token.OrgID, At: at, TokenID: rec.token.ID,
		TokenName: rec.token.Name, Method: r.Method, Path: cut(strings.TrimPrefix(r.URL.Path, h.opt.Prefix), 2048),
		Filter: cut(r.URL.Query().Get("filter"), 4096), Status: status, DurationMicros: time.Since(start).Microseconds(),
		Rule: int(rec.rule), RuleSentence: rec.sentence}, req: rec.body, resp: lw.body.Bytes()})
}
