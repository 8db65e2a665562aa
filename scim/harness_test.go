package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/scim"
	"github.com/idbridge/idbridge/server"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
	"github.com/idbridge/idbridge/store/sqlite"
)

// env is one running SCIM endpoint over a fresh database, with two orgs of
// different companies, each with a token.
type env struct {
	t      testing.TB
	st     *store.Store
	srv    *httptest.Server
	org    store.Org
	other  store.Org
	token  string // org's token
	token2 string // other's token
	logs   *bytes.Buffer
}

// backends runs f on SQLite and, when reachable, PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, newEnv(t, "sqlite", scim.Options{}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, newEnv(t, "postgres", scim.Options{}))
	})
}

type migrator interface {
	store.Backend
	Migrate(context.Context) error
}

func openBackend(t testing.TB, kind string) store.Backend {
	t.Helper()
	ctx := context.Background()
	var b migrator
	var err error
	if kind == "postgres" {
		b, err = postgres.Open(ctx, pgtest.NewDatabase(t))
	} else {
		b, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "idbridge.db"))
	}
	if err != nil {
		t.Fatalf("open %s: %v", kind, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if err := b.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", kind, err)
	}
	return b
}

var fuzzOptions = scim.Options{RatePerSecond: 1e9}

func newEnv(t testing.TB, kind string, opt scim.Options) *env {
	t.Helper()
	ctx := context.Background()
	st := store.New(openBackend(t, kind), store.Options{BaseURL: "https://id.example.com",
		Password: store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}})
	sup := store.SupportActor("test")
	mk := func(name, domain string) (store.Org, string) {
		c, err := st.CreateCompany(ctx, sup, name+" Inc")
		if err != nil {
			t.Fatal(err)
		}
		o, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: c.ID, Name: name, Domains: []string{domain}})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := st.CreateSCIMToken(ctx, sup, o.ID, name+" IdP")
		if err != nil {
			t.Fatal(err)
		}
		return o, secret
	}
	e := &env{t: t, st: st, logs: &bytes.Buffer{}}
	e.org, e.token = mk("Acme", "acme.example")
	e.other, e.token2 = mk("Globex", "globex.example")
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, nil))
	var h http.Handler
	if opt.RatePerSecond == 0 && opt.Burst == 0 {
		// The real router: the server's middleware and its one mount line.
		cfg := config.Default()
		cfg.BaseURL, cfg.DataDir = "https://id.example.com", t.TempDir()
		h = server.New(cfg, st, log, nil).Handler()
	} else {
		opt.BaseURL, opt.Log = "https://id.example.com", log
		r := chi.NewRouter()
		r.Mount("/scim/v2", scim.NewHandler(st, opt)) // as server.routes mounts it
		h = r
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// resp is one answer of the endpoint.
type resp struct {
	status int
	header http.Header
	body   []byte
	doc    map[string]any
}

func (r resp) str(path string) string {
	v := get(r.doc, path)
	s, _ := v.(string)
	return s
}

// get walks a dotted path ("meta.version", "Resources.0.id") in a document.
func get(doc any, path string) any {
	cur := doc
	var keys []string
	for _, k := range strings.Split(path, ".") {
		// an extension URN ("urn:...:2.0:User") is one key despite its dots
		if n := len(keys); n > 0 && strings.HasPrefix(keys[n-1], "urn:") && !strings.HasSuffix(keys[n-1], ":User") {
			keys[n-1] += "." + k
			continue
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i := 0
			for _, ch := range k {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// do sends a request with the org's token; body is a string (JSON) or nil.
func (e *env) do(method, path string, body any, hdr ...string) resp {
	return e.doToken(e.token, method, path, body, hdr...)
}

func (e *env) doToken(token, method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/scim/v2"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, body: b}
	if len(b) > 0 {
		_ = json.Unmarshal(b, &out.doc)
	}
	return out
}

// must checks the status and, for errors, that the body is a SCIM error.
func (e *env) must(r resp, want int) resp {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
	if want >= 400 {
		checkErrorBody(e.t, r)
	}
	if want == http.StatusInternalServerError {
		e.t.Fatalf("500: %s", r.body)
	}
	return r
}

func checkErrorBody(t testing.TB, r resp) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Errorf("error Content-Type %q, want application/scim+json", ct)
	}
	if s, _ := get(r.doc, "schemas.0").(string); s != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error body %s is not a SCIM error", r.body)
	}
	if st, _ := r.doc["status"].(string); st != itoa(r.status) {
		t.Errorf("error status %q, want %q", st, itoa(r.status))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// createUser posts a user and returns its id.
func (e *env) createUser(body string) string {
	e.t.Helper()
	r := e.must(e.do("POST", "/Users", body), http.StatusCreated)
	return r.str("id")
}

func userJSON(userName, email, ext string) string {
	b, _ := json.Marshal(map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName, "externalId": ext, "active": true,
		"name":   map[string]any{"givenName": "Given " + ext, "familyName": "Family"},
		"emails": []any{map[string]any{"value": email, "type": "work", "primary": true}},
	})
	return string(b)
}

// lockedWriter collects logs from concurrent requests.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (e *env) logText() string {
	return e.logs.String()
}
