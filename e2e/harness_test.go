package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/server"
	"github.com/idbridge/idbridge/store"
)

const (
	chromiumPath    = "/usr/bin/chromium"
	chromiumInstall = "apt-get install -y --no-install-recommends chromium"
	adminPassword   = "ada-correct-horse-battery"
	domain          = "acme.example"
)

// needChromium skips t when Debian's Chromium is missing, saying why; with
// IDBRIDGE_REQUIRE_PEERS=1 (CI) it fails t instead.
func needChromium(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath(chromiumPath)
	if err == nil {
		return
	}
	if os.Getenv("IDBRIDGE_REQUIRE_PEERS") == "1" {
		t.Fatalf("Chromium is not installed (%s) and IDBRIDGE_REQUIRE_PEERS=1: %v", chromiumInstall, err)
	}
	t.Skipf("Chromium is not installed (%v); install it with: %s", err, chromiumInstall)
}

// env is the real idbridge server on loopback with one org and its admin.
type env struct {
	t     *testing.T
	ctx   context.Context
	base  string
	st    *store.Store
	org   store.Org
	admin store.Member
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, false)
}

// newEnvOn is newEnv; with tls, the server is https://localhost:<port>
// (httptest's certificate, which the browser is told to accept): another
// site than the IdP peers on 127.0.0.1, so their POSTs to it are cross-site.
func newEnvOn(t *testing.T, tls bool) *env {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if tls {
		cfg.BaseURL = fmt.Sprintf("https://localhost:%d", srv.Listener.Addr().(*net.TCPAddr).Port)
	}
	cfg.AllowPrivateMetadata = true // the IdP peers are on loopback
	log := server.NewLogger(io.Discard, 0)
	st, err := server.OpenStore(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Backend().Close() })
	srv.Config.Handler = server.New(cfg, st, log, nil).Handler()
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)

	sup := store.SupportActor("e2e")
	co, err := st.CreateCompany(ctx, sup, "Acme S.p.A.")
	must(t, err)
	org, err := st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Acme Hotels", Domains: []string{domain}})
	must(t, err)
	admin, err := st.CreateMember(ctx, sup, org.ID, store.NewMember{Email: "ada@" + domain, GivenName: "Ada",
		FamilyName: "Lovelace", UserType: store.UserTypeSystemAdmin, Password: adminPassword})
	must(t, err)
	return &env{t: t, ctx: ctx, base: cfg.BaseURL, st: st, org: org, admin: admin}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// scim sends one SCIM request with the bearer token, as the IdP would.
func (e *env) scim(token, method, path, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+"/scim/v2"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// resetLink is the password-reset link in the newest message to addr.
func (e *env) resetLink(addr string) string {
	e.t.Helper()
	ms, err := e.st.ListOutbox(e.ctx, addr)
	must(e.t, err)
	if len(ms) == 0 {
		e.t.Fatalf("no message to %s in the outbox", addr)
	}
	m := ms[len(ms)-1]
	link := regexp.MustCompile(regexp.QuoteMeta(e.base) + `/\S*\?token=\S+`).FindString(m.Body)
	if link == "" {
		e.t.Fatalf("message %q to %s has no link: %s", m.Subject, addr, m.Body)
	}
	return link
}

// newBrowser starts headless Chromium with a fresh profile; each person
// then gets their own browser context (cookies) from person.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	needChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("ignore-certificate-errors", true), // httptest's certificate (newEnvOn)
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	if err := chromedp.Do(bctx); err != nil { // starts Chromium
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return bctx
}

// person is a tab in a browser context of its own (its own cookies).
func person(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return tctx
}

// do runs the steps in the person's tab, failing t with the page's address
// and text when one fails.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, where(ctx))
	}
}

// where is the tab's address and text, for failure messages.
func where(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(c, chromedp.Location())
	body, _ := chromedp.Run(c, chromedp.Text(chromedp.CSS("body")))
	return "at " + loc + ":\n" + body
}

// allowFetch lets the admin's tab run fetch despite our pages' CSP
// (default-src 'none'), as a script the admin pastes in the console would:
// the admin API is then called by the browser itself, same origin, with the
// session cookie. Only the admin's tab gets it.
func allowFetch(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "bypass CSP", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	}))
}

// api calls the admin API from the admin's page with fetch (same origin,
// the session cookie), answering the status and the JSON body.
func api(t *testing.T, ctx context.Context, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	js := fmt.Sprintf(`fetch(%q, {method: %q, headers: {'Content-Type': 'application/json'}, body: %s})
		.then(async r => JSON.stringify({status: r.status, body: await r.text()}))`, path, method, jsBody(method, b))
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, where(ctx))
	}
	var r struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	must(t, json.Unmarshal([]byte(out), &r))
	var m map[string]any
	_ = json.Unmarshal([]byte(r.Body), &m)
	if m == nil {
		m = map[string]any{"raw": r.Body}
	}
	return r.Status, m
}

func jsBody(method string, b []byte) string {
	if method == http.MethodGet || string(b) == "null" {
		return "undefined"
	}
	q, _ := json.Marshal(string(b))
	return string(q)
}

// typeIn clears the input, types v into it.
func typeIn(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), v))
}

// startSignIn opens /login and types an email or company domain.
func startSignIn(t *testing.T, ctx context.Context, base, identifier string) {
	t.Helper()
	do(t, ctx, "sign-in with "+identifier,
		chromedp.Navigate(base+"/login"),
		typeIn("#identifier", identifier),
		chromedp.Submit(chromedp.CSS("#identifier")),
	)
}

// signInWithPassword takes the person from /login through the password form.
func signInWithPassword(t *testing.T, ctx context.Context, base, email, password string) {
	t.Helper()
	startSignIn(t, ctx, base, email)
	do(t, ctx, "password form of "+email,
		typeIn("#password", password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#given, #console")), // /account, or the console for an admin
	)
}

// onAccount checks the person landed on /account showing their email and
// name, and saves a screenshot of the page under t.TempDir() (and under
// $IDBRIDGE_E2E_SHOTS when set, to look at it).
func onAccount(t *testing.T, ctx context.Context, base, email, given, family, shot string) {
	t.Helper()
	do(t, ctx, "the account page of "+email, chromedp.WaitVisible(chromedp.CSS("#given")))
	loc, err1 := chromedp.Run(ctx, chromedp.Location())
	body, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	g, err3 := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#given")))
	f, err4 := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#family")))
	png, err5 := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	for _, err := range []error{err1, err2, err3, err4, err5} {
		must(t, err)
	}
	if loc != base+"/account" || !strings.Contains(body, email) || g != given || f != family {
		t.Fatalf("at %s with name %q %q, want %s/account for %s (%s %s):\n%s", loc, g, f, base, email, given, family, body)
	}
	if shot == "" {
		return
	}
	path := filepath.Join(t.TempDir(), shot)
	must(t, os.WriteFile(path, png, 0o644))
	if dir := os.Getenv("IDBRIDGE_E2E_SHOTS"); dir != "" {
		must(t, os.WriteFile(filepath.Join(dir, shot), png, 0o644))
	}
	t.Logf("screenshot of the signed-in page: %s", path)
}
