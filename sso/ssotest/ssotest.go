// Package ssotest holds what the protocol packages' tests share: an
// in-memory flow and replay store for the fast tests (the store's own
// conformance suite runs the real backends), a Finisher that records what it
// is given, a test Sealer, and a form-submitting helper for driving IdP login
// pages with a Go http client.
package ssotest

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Store keeps connections, flows and used assertion ids in memory.
type Store struct {
	mu    sync.Mutex
	conns map[string]store.Connection
	flows map[string]store.SSOFlow
	used  map[string]bool
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{conns: map[string]store.Connection{}, flows: map[string]store.SSOFlow{}, used: map[string]bool{}}
}

// Put adds or replaces a connection.
func (m *Store) Put(c store.Connection) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.conns[c.ID] = c
}

// ConnectionByID returns a connection put earlier.
func (m *Store) ConnectionByID(_ context.Context, id string) (store.Connection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.conns[id]
	if !ok {
		return c, store.ErrNotFound
	}
	return c, nil
}

// SaveSSOFlow stores a flow until ttl passes.
func (m *Store) SaveSSOFlow(_ context.Context, key, conn string, data json.RawMessage, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flows[key] = store.SSOFlow{Key: key, ConnectionID: conn, Data: data, ExpiresAt: time.Now().Add(ttl)}
	return nil
}

// ConsumeSSOFlow returns a flow once.
func (m *Store) ConsumeSSOFlow(_ context.Context, key string) (store.SSOFlow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.flows[key]
	delete(m.flows, key)
	if !ok || time.Now().After(f.ExpiresAt) {
		return f, store.ErrNotFound
	}
	return f, nil
}

// UseAssertionID accepts an assertion id of a connection once.
func (m *Store) UseAssertionID(_ context.Context, conn, id string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used[conn+" "+id] {
		return store.ErrReplay
	}
	m.used[conn+" "+id] = true
	return nil
}

// Recorder is an sso.Finisher that records results (204) and failures (403).
type Recorder struct {
	mu      sync.Mutex
	Results []sso.Result
	Errs    []error
}

// FinishSSO records a verified sign-in.
func (f *Recorder) FinishSSO(w http.ResponseWriter, _ *http.Request, res sso.Result) {
	f.mu.Lock()
	f.Results = append(f.Results, res)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// FailSSO records a refused sign-in.
func (f *Recorder) FailSSO(w http.ResponseWriter, _ *http.Request, _ store.Connection, err error) {
	f.mu.Lock()
	f.Errs = append(f.Errs, err)
	f.mu.Unlock()
	http.Error(w, "sign-in failed", http.StatusForbidden)
}

// Sealer returns a Sealer with a fixed test key.
func Sealer(t testing.TB) *sso.Sealer {
	s, err := sso.NewSealer([]byte(strings.Repeat("test-secret-key-", 3)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input([^>]*)>`)
	attrRe  = regexp.MustCompile(`(?is)\b(name|value)="([^"]*)"`)
)

// SubmitForm posts the first form of page (relative to base) with its
// inputs, overridden by fields, and returns the response.
func SubmitForm(t testing.TB, client *http.Client, base *url.URL, page string, fields map[string]string) *http.Response {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	vals := url.Values{}
	for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
		var name, value string
		for _, a := range attrRe.FindAllStringSubmatch(in[1], -1) {
			if strings.EqualFold(a[1], "name") {
				name = html.UnescapeString(a[2])
			} else {
				value = html.UnescapeString(a[2])
			}
		}
		if name != "" {
			vals.Set(name, value)
		}
	}
	for k, v := range fields {
		vals.Set(k, v)
	}
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.PostForm(action.String(), vals)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// ReadBody reads and closes a response body.
func ReadBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// StartSP builds a provider with build for a base URL on a loopback port
// (the provider must know it before it serves), mounts it on a router and
// serves it there until the test ends.
func StartSP[P interface{ Mount(chi.Router) }](t testing.TB, build func(base string) (P, error)) (P, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	p, err := build(base)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	router := chi.NewRouter()
	p.Mount(router)
	srv := httptest.NewUnstartedServer(router)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return p, base
}

// Browser is a cookie jar holding what a provider's Start set on w, as the
// browser that started the flow would (the flow's binding cookie), for the
// site at base.
func Browser(t testing.TB, w *httptest.ResponseRecorder, base string) *cookiejar.Jar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookies(u, w.Result().Cookies())
	return jar
}
