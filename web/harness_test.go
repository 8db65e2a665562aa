package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
	"github.com/idbridge/idbridge/store/sqlite"
	"github.com/idbridge/idbridge/web"
)

// env is one idbridge on the real chi router and SQLite, behind httptest,
// with a fake OIDC-kind provider standing in for an IdP.
type env struct {
	t    *testing.T
	st   *store.Store
	srv  *httptest.Server
	idp  *fakeIdP
	web  *web.Web
	ctx  context.Context
	base string
}

// cheap argon2id costs: the tests sign in dozens of times.
var cheap = store.PasswordParams{MemoryKiB: 64, Passes: 1, Threads: 1}

func newEnv(t *testing.T, opt web.Options) *env {
	t.Helper()
	return newEnvWith(t, opt, nil)
}

// newEnvWith also lets mount add routes and providers (SCIM, a real protocol
// provider) before the server starts.
func newEnvWith(t *testing.T, opt web.Options, mount func(r chi.Router, st *store.Store, w *web.Web, base string)) *env {
	t.Helper()
	return newEnvOn(t, "sqlite", opt, mount)
}

// backends runs f on SQLite and, when reachable, PostgreSQL (pgtest).
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, newEnvOn(t, kind, web.Options{}, nil))
		})
	}
}

// newEnvOn is newEnvWith on a backend: "sqlite" or "postgres".
func newEnvOn(t *testing.T, kind string, opt web.Options, mount func(r chi.Router, st *store.Store, w *web.Web, base string)) *env {
	t.Helper()
	ctx := context.Background()
	var db interface {
		store.Backend
		Migrate(context.Context) error
	}
	var err error
	if kind == "postgres" {
		db, err = postgres.Open(ctx, pgtest.NewDatabase(t))
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "idbridge.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	st := store.New(db, store.Options{BaseURL: base, Password: cheap})
	opt.BaseURL = base
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := web.New(st, opt, log)
	idp := &fakeIdP{fin: w, flows: map[string]fakeFlow{}}
	w.AddProvider(idp)
	r := chi.NewRouter()
	w.Mount(r)
	if mount != nil {
		mount(r, st, w, base)
	}
	srv.Config.Handler = r
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, srv: srv, idp: idp, web: w, ctx: ctx, base: base}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	code int
	body string
	loc  string
	h    http.Header
}

func (b *browser) do(req *http.Request) resp {
	b.e.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return resp{code: res.StatusCode, body: string(body), loc: res.Header.Get("Location"), h: res.Header}
}

func (b *browser) get(path string) resp {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.url(path), nil)
	return b.do(req)
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.e.base + path
}

// post sends a form; header pairs (name, value) are added.
func (b *browser) post(path string, form url.Values, header ...string) resp {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// api sends a JSON request (body nil for none) and decodes a JSON answer into out.
func (b *browser) api(method, path string, body any, out any, header ...string) resp {
	b.e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, b.url(path), rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r := b.do(req)
	if out != nil && r.body != "" {
		if err := json.Unmarshal([]byte(r.body), out); err != nil {
			b.e.t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, r.body, err)
		}
	}
	return r
}

// signIn signs in with a password through the org of the email's domain.
func (b *browser) signIn(email, password string) resp {
	b.e.t.Helper()
	orgID := ""
	if o, err := b.e.st.OrgForSignIn(b.e.ctx, email); err == nil {
		orgID = o.ID
	}
	return b.post("/login/password", url.Values{"email": {email}, "password": {password}, "org": {orgID}})
}

func (b *browser) mustSignIn(email, password string) {
	b.e.t.Helper()
	// An org's system admin lands on the console, anyone else on the account page.
	if r := b.signIn(email, password); r.code != http.StatusSeeOther || (r.loc != "/account" && r.loc != "/admin") {
		b.e.t.Fatalf("sign in %s: %d %q, want 303 to /account or /admin; body %s", email, r.code, r.loc, text(r.body))
	}
}

// text strips tags, for readable failure messages and matching.
func text(page string) string {
	s := regexp.MustCompile(`(?s)<style.*?</style>|<[^>]+>`).ReplaceAllString(page, " ")
	return html.UnescapeString(strings.Join(strings.Fields(s), " "))
}

// --- fixtures ---

type fixture struct {
	org, other  store.Org
	admin, user store.Member
	outsider    store.Member // a system admin of the other org
	password    string
	company     string
}

const pw = "correct horse battery"

// seed makes two orgs: Acme (acme.example) with an admin and a user, both with
// a password, and Globex (globex.example) with its own admin.
func (e *env) seed() fixture {
	e.t.Helper()
	sup := store.SupportActor("test")
	co, err := e.st.CreateCompany(e.ctx, sup, "Acme S.p.A.")
	e.must(err)
	org, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Acme Hotels", Domains: []string{"acme.example"}})
	e.must(err)
	other, err := e.st.CreateOrg(e.ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Globex", Domains: []string{"globex.example"}})
	e.must(err)
	admin, err := e.st.CreateMember(e.ctx, sup, org.ID, store.NewMember{Email: "ada@acme.example", GivenName: "Ada", UserType: store.UserTypeSystemAdmin, Password: pw})
	e.must(err)
	user, err := e.st.CreateMember(e.ctx, sup, org.ID, store.NewMember{Email: "bob@acme.example", GivenName: "Bob", Password: pw})
	e.must(err)
	outsider, err := e.st.CreateMember(e.ctx, sup, other.ID, store.NewMember{Email: "gus@globex.example", UserType: store.UserTypeSystemAdmin, Password: pw})
	e.must(err)
	return fixture{org: org, other: other, admin: admin, user: user, outsider: outsider, password: pw, company: co.ID}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// link returns the first link to path in the newest outbox message to addr.
func (e *env) link(addr, path string) string {
	e.t.Helper()
	ms, err := e.st.ListOutbox(e.ctx, addr)
	e.must(err)
	if len(ms) == 0 {
		e.t.Fatalf("no message to %s in the outbox", addr)
	}
	m := ms[len(ms)-1]
	found := regexp.MustCompile(regexp.QuoteMeta(e.base+path) + `\?token=\S+`).FindString(m.Body)
	if found == "" {
		e.t.Fatalf("message %q to %s has no %s link: %s", m.Subject, addr, path, m.Body)
	}
	return found
}

// --- a fake IdP ---

type fakeFlow struct {
	conn     store.Connection
	returnTo string
	test     bool
}

// fakeIdP is an sso.Provider of kind oidc: Start redirects to
// /fake-idp/authorize?state=S, and the test then "comes back" with
// /fake-idp/callback?state=S&sub=...&email=...&verified=1. Flow state is
// server-side and single-use, like the real providers'.
type fakeIdP struct {
	fin   sso.Finisher
	mu    sync.Mutex
	flows map[string]fakeFlow
}

func (p *fakeIdP) Kind() store.ConnectionKind { return store.ConnectionOIDC }

func (p *fakeIdP) Start(w http.ResponseWriter, r *http.Request, c store.Connection, returnTo string, test bool) error {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	state := hex.EncodeToString(b)
	p.mu.Lock()
	p.flows[state] = fakeFlow{conn: c, returnTo: returnTo, test: test}
	p.mu.Unlock()
	http.Redirect(w, r, "/fake-idp/authorize?state="+state, http.StatusFound)
	return nil
}

func (p *fakeIdP) Mount(r chi.Router) {
	r.Get("/fake-idp/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.mu.Lock()
		f, ok := p.flows[q.Get("state")]
		delete(p.flows, q.Get("state"))
		p.mu.Unlock()
		if !ok {
			http.Error(w, "unknown state", http.StatusBadRequest)
			return
		}
		p.fin.FinishSSO(w, r, sso.Result{Connection: f.conn, ReturnTo: f.returnTo, Test: f.test, Identity: sso.Identity{
			Subject: q.Get("sub"), Email: q.Get("email"), EmailVerified: q.Get("verified") == "1", GivenName: q.Get("given")}})
	})
}

func (p *fakeIdP) Validate(_ context.Context, settings []byte) ([]byte, error) {
	var v map[string]any
	if err := json.Unmarshal(settings, &v); err != nil {
		return nil, err
	}
	if s, _ := v["issuer"].(string); s == "" {
		return nil, &store.InvalidError{Field: "settings", Detail: "issuer is required"}
	}
	return settings, nil
}

// idpReturn completes a flow the browser was sent to (loc is the authorize
// URL) as the given identity.
func (b *browser) idpReturn(loc string, id url.Values) resp {
	b.e.t.Helper()
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/fake-idp/authorize" {
		b.e.t.Fatalf("redirect %q is not to the fake IdP", loc)
	}
	id.Set("state", u.Query().Get("state"))
	return b.get("/fake-idp/callback?" + id.Encode())
}

// serve runs one form POST through w on a fresh router, without a server.
func serve(t *testing.T, w *web.Web, method, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := chi.NewRouter()
	w.Mount(r)
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// addConnection adds an oidc-kind connection (the fake IdP's) to org.
func (e *env) addConnection(org store.Org, name string, settings string) store.Connection {
	e.t.Helper()
	c, err := e.st.CreateConnection(e.ctx, store.SupportActor("test"), org.ID, store.NewConnection{Kind: store.ConnectionOIDC, Name: name, Settings: []byte(settings)})
	e.must(err)
	return c
}

// enableSSO gives org a tested connection and turns SSO on with it.
func (e *env) enableSSO(org store.Org) store.Connection {
	e.t.Helper()
	c := e.addConnection(org, "Okta", `{"issuer":"https://idp.example"}`)
	c, err := e.st.RecordConnectionTest(e.ctx, store.SupportActor("test"), org.ID, c.ID)
	e.must(err)
	_, err = e.st.EnableSSO(e.ctx, store.SupportActor("test"), org.ID, c.ID)
	e.must(err)
	return c
}
