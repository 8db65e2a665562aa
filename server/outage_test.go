package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// pgServer is a replica over its own PostgreSQL database with one org
// (acme.example) and its SCIM token.
type pgServer struct {
	st     *store.Store
	srv    *httptest.Server
	dbURL  string
	dbName string
	org    store.Org
	token  string
}

func newPGServer(t *testing.T, cfg config.Config) *pgServer {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	pc, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = config.Secret(dbURL)
	cfg.BaseURL, cfg.DataDir = "https://id.example.com", t.TempDir()
	log := NewLogger(io.Discard, 0)
	b, err := OpenBackend(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st := store.New(b, store.Options{BaseURL: cfg.BaseURL, Password: store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}})
	org, token := orgWithToken(t, st)
	srv := httptest.NewServer(New(cfg, st, log, nil).Handler())
	t.Cleanup(srv.Close)
	return &pgServer{st: st, srv: srv, dbURL: dbURL, dbName: pc.Database, org: org, token: token}
}

// orgWithToken creates the org Acme (acme.example) and a SCIM token of it.
func orgWithToken(t *testing.T, st *store.Store) (store.Org, string) {
	t.Helper()
	ctx, sup := context.Background(), store.SupportActor("test")
	c, err := st.CreateCompany(ctx, sup, "Acme Inc")
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: c.ID, Name: "Acme", Domains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateSCIMToken(ctx, sup, org.ID, "Acme IdP")
	if err != nil {
		t.Fatal(err)
	}
	return org, token
}

// pgAdmin runs a statement on the test server's maintenance database.
func pgAdmin(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// do sends one request; a SCIM route gets the token.
func (p *pgServer) do(t *testing.T, method, path, contentType, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(path, "/scim/") {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// While PostgreSQL refuses this database (its connections terminated, new
// ones refused, as during a restart or failover), SCIM answers 503 with
// Retry-After and a SCIM error body, and the sign-in page a readable 503;
// once it is back, the same replica answers again. First the token is still
// cached (the LISTEN connection lives: the request fails in its handler),
// then not (every connection is gone: authentication itself fails).
func TestDatabaseOutageAnswers503WithRetryAfter(t *testing.T) {
	p := newPGServer(t, config.Default())
	const user = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.example","emails":[{"value":"ada@acme.example","primary":true}]}`
	for {
		if resp, body := p.do(t, "GET", "/scim/v2/Users", "", ""); resp.StatusCode != 200 {
			t.Fatalf("before the outage: GET /Users = %d %s", resp.StatusCode, body)
		}
		if _, cached, _ := p.st.SCIMTokenCacheState(); cached > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond) // until the LISTEN connection is up
	}

	pgAdmin(t, "ALTER DATABASE "+p.dbName+" ALLOW_CONNECTIONS false")
	t.Cleanup(func() { pgAdmin(t, "ALTER DATABASE "+p.dbName+" ALLOW_CONNECTIONS true") })
	for _, phase := range []string{"token cached", "no connection left"} {
		if phase == "token cached" {
			pgAdmin(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2",
				p.dbName, postgres.ListenerApplicationName)
		} else {
			pgAdmin(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", p.dbName)
		}
		for _, rq := range []struct{ method, path, body string }{
			{"GET", "/scim/v2/Users", ""},
			{"GET", "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "ada@acme.example"`), ""},
			{"GET", "/scim/v2/Users/0190b0c6-1111-7000-8000-000000000001", ""},
			{"POST", "/scim/v2/Users", user},
			{"DELETE", "/scim/v2/Users/0190b0c6-1111-7000-8000-000000000001", ""},
		} {
			resp, body := p.do(t, rq.method, rq.path, "application/scim+json", rq.body)
			var doc struct {
				Schemas []string
				Status  string
			}
			_ = json.Unmarshal([]byte(body), &doc)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
				len(doc.Schemas) != 1 || doc.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || doc.Status != "503" ||
				resp.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("%s: %s %s = %d Retry-After %q WWW-Authenticate %q %s, want 503, Retry-After 5 and a SCIM error",
					phase, rq.method, rq.path, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("WWW-Authenticate"), body)
			}
		}
	}
	resp, body := p.do(t, "POST", "/login", "application/x-www-form-urlencoded", "identifier=ada%40acme.example")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "temporarily unavailable") {
		t.Errorf("during the outage POST /login = %d Retry-After %q, want a readable 503:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := p.do(t, "GET", "/healthz", "", ""); resp.StatusCode != 200 {
		t.Errorf("during the outage /healthz = %d, want 200", resp.StatusCode)
	}

	pgAdmin(t, "ALTER DATABASE "+p.dbName+" ALLOW_CONNECTIONS true")
	if resp, body := p.do(t, "POST", "/scim/v2/Users", "application/scim+json", user); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after the outage: POST /Users = %d %s", resp.StatusCode, body)
	}
}
