package events

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

// MaxWait bounds a long poll (wait=).
const MaxWait = 30 * time.Second

// PollInterval is how often a long poll looks for new events.
const PollInterval = 200 * time.Millisecond

// Wire is an event as the feed and webhooks send it.
type Wire struct {
	store.Event
	// Cursor continues the feed after this event.
	Cursor string `json:"cursor"`
}

func wire(e store.Event) Wire { return Wire{Event: e, Cursor: e.Pos.String()} }

// Page is the feed's answer.
type Page struct {
	Events []Wire `json:"events"`
	// Next is the cursor to ask with next (after=); the same as asked when no event came.
	Next string `json:"next"`
}

// Feed serves GET /api/events to registered apps (HTTP Basic with the
// app's client_id and client_secret).
type Feed struct {
	Store *store.Store
	Log   *slog.Logger
}

// Mount adds the feed's route.
func (f *Feed) Mount(r interface {
	Get(pattern string, h http.HandlerFunc)
}) {
	r.Get("/api/events", f.ServeHTTP)
}

func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="idbridge events"`)
		fail(w, http.StatusUnauthorized, "invalid_client", "authenticate with the app's client_id and client_secret (HTTP Basic)")
		return
	}
	app, err := f.Store.CheckAppSecret(r.Context(), id, secret)
	if errors.Is(err, store.ErrAppSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="idbridge events"`)
		fail(w, http.StatusUnauthorized, "invalid_client", "unknown application or wrong client secret")
		return
	}
	if err != nil {
		f.Log.Error("events.auth_failed", "err", err)
		fail(w, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	q, wait, err := parseQuery(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch org := r.URL.Query().Get("org"); {
	case org != "" && !app.AllowsOrg(org):
		fail(w, http.StatusForbidden, "forbidden", "the app is not allowed this org")
		return
	case org != "":
		q.OrgIDs = []string{org}
	case len(app.OrgIDs) > 0:
		q.OrgIDs = app.OrgIDs
	}
	es, next, err := f.poll(r.Context(), q, wait)
	if err != nil {
		var ie *store.InvalidError
		if errors.As(err, &ie) {
			fail(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		if r.Context().Err() == nil {
			f.Log.Error("events.list_failed", "err", err)
		}
		fail(w, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	page := Page{Events: make([]Wire, len(es)), Next: next.String()}
	for i, e := range es {
		page.Events[i] = wire(e)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(page)
}

// poll lists events, waiting up to wait for the first one.
func (f *Feed) poll(ctx context.Context, q store.EventQuery, wait time.Duration) ([]store.Event, store.EventPos, error) {
	deadline := time.Now().Add(wait)
	for {
		es, next, err := f.Store.ListEvents(ctx, q)
		if err != nil || len(es) > 0 || !time.Now().Before(deadline) {
			return es, next, err
		}
		select {
		case <-ctx.Done():
			return nil, q.After, ctx.Err()
		case <-time.After(min(PollInterval, time.Until(deadline))):
		}
	}
}

func parseQuery(r *http.Request) (store.EventQuery, time.Duration, error) {
	v := r.URL.Query()
	var q store.EventQuery
	var err error
	if q.After, err = store.ParseEventCursor(v.Get("after")); err != nil {
		return q, 0, err
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > store.MaxPageSize {
			return q, 0, errors.New("limit is a number from 1 to 1000")
		}
	}
	if s := v.Get("types"); s != "" {
		q.Types = store.SplitTypes(s)
		if err := store.CheckEventTypes(q.Types); err != nil {
			return q, 0, err
		}
	}
	var wait time.Duration
	if s := v.Get("wait"); s != "" {
		if !strings.ContainsAny(s, "smh") {
			s += "s"
		}
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > MaxWait {
			return q, 0, errors.New("wait is a duration of at most 30s")
		}
	}
	return q, wait, nil
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": msg})
}
