package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

func TestLoginByDomain(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	tests := []struct {
		name, identifier string
		code             int
		want             string
	}{
		{"company domain", "acme.example", http.StatusOK, "Sign in to Acme Hotels"},
		{"email", "Bob@ACME.example", http.StatusOK, "Sign in to Acme Hotels"},
		{"other org", "globex.example", http.StatusOK, "Sign in to Globex"},
		{"unknown domain", "nowhere.example", http.StatusNotFound, "No organization signs in with nowhere.example"},
		{"unknown email domain gets the password form", "jo@gmail.example", http.StatusOK, "Sign in with your password"},
		{"garbage", "not a domain", http.StatusBadRequest, "Enter an email address like"},
		{"empty", "", http.StatusBadRequest, "Enter your work email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/login", url.Values{"identifier": {tc.identifier}})
			if r.code != tc.code || !strings.Contains(text(r.body), tc.want) {
				t.Fatalf("POST /login %q = %d %q, want %d containing %q", tc.identifier, r.code, text(r.body), tc.code, tc.want)
			}
		})
	}
	if r := b.post("/login", url.Values{"identifier": {"acme.example"}}); !strings.Contains(r.body, `value="`+f.org.ID+`"`) {
		t.Fatalf("password form does not carry the org id: %s", r.body)
	}
}

func TestPasswordSignInAndSignOut(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	if r := b.get("/account"); r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login?return_to=") {
		t.Fatalf("GET /account signed out = %d %q, want 303 to /login", r.code, r.loc)
	}
	if r := b.signIn("bob@acme.example", "wrong password!"); r.code != http.StatusUnauthorized || !strings.Contains(text(r.body), "Wrong email or password") {
		t.Fatalf("wrong password = %d %q, want 401 'Wrong email or password'", r.code, text(r.body))
	}
	r := b.signIn("bob@acme.example", f.password)
	if r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Fatalf("sign in = %d %q, want 303 /account", r.code, r.loc)
	}
	c := r.h.Get("Set-Cookie")
	for _, want := range []string{"idb_session=ses_", "Path=/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %q", c, want)
		}
	}
	if strings.Contains(c, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on an http base URL", c)
	}
	if r := b.get("/account"); r.code != http.StatusOK || !strings.Contains(r.body, "bob@acme.example") || !strings.Contains(r.body, "Acme Hotels") {
		t.Fatalf("GET /account = %d %q", r.code, text(r.body))
	}
	if r := b.get("/logout"); r.code != http.StatusOK || !strings.Contains(r.body, `action="/logout"`) {
		t.Fatalf("GET /logout = %d, want the sign-out button", r.code)
	}
	if r := b.get("/"); r.code != http.StatusSeeOther || r.loc != "/account" {
		t.Fatalf("GET / signed in = %d %q, want /account", r.code, r.loc)
	}
	if r := b.post("/logout", nil); r.code != http.StatusOK || !strings.Contains(text(r.body), "You are signed out") {
		t.Fatalf("POST /logout = %d %q", r.code, text(r.body))
	}
	if r := b.get("/account"); r.code != http.StatusSeeOther {
		t.Fatalf("GET /account after sign-out = %d, want 303", r.code)
	}
	// A password sign-in from the wrong org's form is a failed attempt.
	r = b.post("/login/password", url.Values{"email": {"bob@acme.example"}, "password": {f.password}, "org": {f.other.ID}})
	if r.code != http.StatusUnauthorized {
		t.Fatalf("sign in to an org the account is not in = %d, want 401", r.code)
	}
}

func TestSecureCookieForHTTPSBaseURL(t *testing.T) {
	e := newEnv(t, web.Options{})
	e.seed()
	// A second Web over the same store, configured for https.
	w := web.New(e.st, web.Options{BaseURL: "https://id.example"}, nil)
	_ = w
	st := e.st
	orgID := ""
	if o, err := st.OrgForSignIn(e.ctx, "acme.example"); err == nil {
		orgID = o.ID
	}
	rec := serve(t, w, http.MethodPost, "/login/password", url.Values{"email": {"bob@acme.example"}, "password": {pw}, "org": {orgID}})
	c := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"__Host-idb_session=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %q", c, want)
		}
	}
}

func TestLockoutAfterFiveThenResetFromTheEmail(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	for i := 1; i < store.MaxFailedAttempts; i++ {
		if r := b.signIn("bob@acme.example", "wrong password!"); r.code != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d = %d, want 401", i, r.code)
		}
	}
	// The failure that locks already sends the person to "Forgot password".
	if r := b.signIn("bob@acme.example", "wrong password!"); r.code != http.StatusConflict || !strings.Contains(text(r.body), "Forgot password") {
		t.Fatalf("wrong password #%d = %d %q, want 409 sending to Forgot password", store.MaxFailedAttempts, r.code, text(r.body))
	}
	r := b.signIn("bob@acme.example", f.password)
	if r.code != http.StatusConflict || !strings.Contains(text(r.body), "locked") || !strings.Contains(text(r.body), "Forgot password") {
		t.Fatalf("right password after 5 wrong = %d %q, want 409 sending to Forgot password", r.code, text(r.body))
	}
	// Forgot password: the same answer for an unknown address.
	for _, addr := range []string{"bob@acme.example", "nobody@acme.example"} {
		r := b.post("/password/forgot", url.Values{"email": {addr}})
		if r.code != http.StatusOK || !strings.Contains(text(r.body), "If "+addr+" has an account") {
			t.Fatalf("forgot %s = %d %q", addr, r.code, text(r.body))
		}
	}
	if ms, _ := e.st.ListOutbox(e.ctx, "nobody@acme.example"); len(ms) != 0 {
		t.Fatalf("a reset email went to an unknown address")
	}
	link := e.link("bob@acme.example", "/password/reset")
	r = b.get(link)
	if r.code != http.StatusOK || !strings.Contains(r.body, `action="/password/reset"`) {
		t.Fatalf("GET reset link = %d %q", r.code, text(r.body))
	}
	token := mustParse(t, link).Query().Get("token")
	if r := b.post("/password/reset", url.Values{"token": {token}, "password": {"new password 123"}, "confirm": {"new password 124"}}); r.code != http.StatusBadRequest || !strings.Contains(text(r.body), "not the same") {
		t.Fatalf("reset with two different passwords = %d %q, want 400", r.code, text(r.body))
	}
	if r := b.post("/password/reset", url.Values{"token": {token}, "password": {"new password 123"}, "confirm": {"new password 123"}}); r.code != http.StatusOK || !strings.Contains(text(r.body), "unlocked") {
		t.Fatalf("reset = %d %q", r.code, text(r.body))
	}
	if r := b.post("/password/reset", url.Values{"token": {token}, "password": {"other password 1"}, "confirm": {"other password 1"}}); r.code != http.StatusUnauthorized || !strings.Contains(text(r.body), "already used") {
		t.Fatalf("second use of the link = %d %q, want 401", r.code, text(r.body))
	}
	b.mustSignIn("bob@acme.example", "new password 123")
}

func TestInvitationSetsPasswordAndActivates(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	m, err := e.st.CreateMember(e.ctx, store.SupportActor("test"), f.org.ID, store.NewMember{Email: "cy@acme.example", Invite: true})
	e.must(err)
	if m.Status() != store.StatusPending {
		t.Fatalf("invited member status = %s, want pending", m.Status())
	}
	b := e.browser()
	link := e.link("cy@acme.example", "/invitation")
	if r := b.get(link); r.code != http.StatusOK || !strings.Contains(r.body, `action="/invitation"`) {
		t.Fatalf("GET invitation = %d %q", r.code, text(r.body))
	}
	token := mustParse(t, link).Query().Get("token")
	if r := b.post("/invitation", url.Values{"token": {token}, "password": {"short"}, "confirm": {"short"}}); r.code != http.StatusBadRequest {
		t.Fatalf("short password = %d, want 400", r.code)
	}
	if r := b.post("/invitation", url.Values{"token": {token}, "password": {"my first password"}, "confirm": {"my first password"}}); r.code != http.StatusOK || !strings.Contains(text(r.body), "Your account is active") {
		t.Fatalf("accept invitation = %d %q", r.code, text(r.body))
	}
	got, err := e.st.GetMember(e.ctx, f.org.ID, m.Account.ID)
	e.must(err)
	if got.Status() != store.StatusActive {
		t.Fatalf("status after invitation = %s, want active", got.Status())
	}
	b.mustSignIn("cy@acme.example", "my first password")
	if r := b.get("/invitation"); r.code != http.StatusUnauthorized {
		t.Fatalf("invitation without token = %d, want 401", r.code)
	}
}

func TestAccountPageNameAndPassword(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	b.mustSignIn("bob@acme.example", f.password)
	if r := b.post("/account/name", url.Values{"given": {"Robert"}, "family": {"Rossi"}}); r.code != http.StatusSeeOther || r.loc != "/account?done=name" {
		t.Fatalf("set name = %d %q", r.code, r.loc)
	}
	if a, _ := e.st.GetAccount(e.ctx, f.user.Account.ID); a.GivenName != "Robert" || a.FamilyName != "Rossi" {
		t.Fatalf("name = %q %q, want Robert Rossi", a.GivenName, a.FamilyName)
	}
	if r := b.get("/account?done=name"); !strings.Contains(r.body, "Your name is saved") || !strings.Contains(r.body, `value="Robert"`) {
		t.Fatalf("account page after name change: %q", text(r.body))
	}
	tests := []struct {
		name, current, new, confirm string
		code                        int
		want                        string
	}{
		{"wrong current", "nope nope nope", "brand new pass 1", "brand new pass 1", http.StatusUnauthorized, "current password is wrong"},
		{"not twice the same", f.password, "brand new pass 1", "brand new pass 2", http.StatusBadRequest, "not the same"},
		{"too short", f.password, "short", "short", http.StatusBadRequest, "at least"},
		{"ok", f.password, "brand new pass 1", "brand new pass 1", http.StatusSeeOther, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/account/password", url.Values{"current": {tc.current}, "new": {tc.new}, "confirm": {tc.confirm}})
			if r.code != tc.code || !strings.Contains(text(r.body), tc.want) {
				t.Fatalf("change password = %d %q, want %d with %q", r.code, text(r.body), tc.code, tc.want)
			}
		})
	}
	e.browser().mustSignIn("bob@acme.example", "brand new pass 1")
}

func TestRule11PasswordRefusedWhenEveryOrgUsesSSO(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	c := e.enableSSO(f.org)
	_ = c
	b := e.browser()
	// Through the org's form: that org signs in through SSO.
	r := b.post("/login/password", url.Values{"email": {"bob@acme.example"}, "password": {f.password}, "org": {f.org.ID}})
	if r.code != http.StatusConflict || !strings.Contains(text(r.body), "signs in through SSO") {
		t.Fatalf("password into an SSO org = %d %q, want 409", r.code, text(r.body))
	}
	// Without an org: rule 11 in the store.
	r = b.post("/login/password", url.Values{"email": {"bob@acme.example"}, "password": {f.password}})
	if r.code != http.StatusConflict || !strings.Contains(text(r.body), "signs in through SSO") {
		t.Fatalf("password sign-in, every org on SSO = %d %q, want 409 (rule 11)", r.code, text(r.body))
	}
	// SSO off again: the password works (rule 11's other half).
	_, err := e.st.DisableSSO(e.ctx, store.SupportActor("test"), f.org.ID)
	e.must(err)
	b.mustSignIn("bob@acme.example", f.password)
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	form := url.Values{"email": {"bob@acme.example"}, "password": {f.password}, "org": {f.org.ID}}
	for _, h := range [][]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}} {
		if r := b.post("/login/password", form, h...); r.code != http.StatusForbidden || !strings.Contains(text(r.body), "another site") {
			t.Fatalf("cross-origin POST with %s = %d %q, want 403", h[0], r.code, text(r.body))
		}
	}
	if r := b.post("/login/password", form, "Sec-Fetch-Site", "same-origin", "Origin", e.base); r.code != http.StatusSeeOther {
		t.Fatalf("same-origin POST = %d, want 303", r.code)
	}
	var out map[string]any
	if r := b.api(http.MethodPost, "/api/orgs/"+f.org.ID+"/scim-tokens", map[string]string{"name": "x"}, &out, "Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden || out["error"] == nil {
		t.Fatalf("cross-origin API POST = %d %q, want 403 JSON", r.code, r.body)
	}
	if r := b.post("/logout", nil, "Origin", "http://evil.example"); r.code != http.StatusForbidden {
		t.Fatalf("cross-origin sign-out = %d, want 403", r.code)
	}
}

func TestDisablingMemberEndsSession(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	b.mustSignIn("bob@acme.example", f.password)
	if r := b.get("/account"); r.code != http.StatusOK {
		t.Fatalf("GET /account = %d", r.code)
	}
	yes := true
	_, err := e.st.UpdateMember(e.ctx, store.AdminActor(f.org.ID, f.admin.Account.ID), f.org.ID, f.user.Account.ID,
		store.MemberUpdate{MembershipChange: store.MembershipChange{Disabled: &yes}})
	e.must(err)
	if r := b.get("/account"); r.code != http.StatusSeeOther {
		t.Fatalf("GET /account after the member was disabled = %d, want 303 to /login (rule 13)", r.code)
	}
	if r := b.signIn("bob@acme.example", f.password); r.code != http.StatusUnauthorized {
		t.Fatalf("disabled member signs in = %d, want 401", r.code)
	}
}

func TestSignInRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, web.Options{SignInLimit: web.Limit{Burst: 3, Every: time.Hour}, ResetLimit: web.Limit{Burst: 2, Every: time.Hour}, Now: clock})
	e.seed()
	b := e.browser()
	for i := 0; i < 3; i++ {
		b.signIn("bob@acme.example", "wrong password!")
	}
	r := b.signIn("bob@acme.example", "wrong password!")
	if r.code != http.StatusTooManyRequests || r.h.Get("Retry-After") == "" || !strings.Contains(text(r.body), "Too many attempts") {
		t.Fatalf("4th attempt = %d Retry-After %q %q, want 429", r.code, r.h.Get("Retry-After"), text(r.body))
	}
	if a, _ := e.st.AccountByEmail(e.ctx, "bob@acme.example"); a.FailedAttempts != 3 {
		t.Fatalf("failed attempts = %d, want 3 (the limited one never reached the store)", a.FailedAttempts)
	}
	for i := 0; i < 2; i++ {
		b.post("/password/forgot", url.Values{"email": {"ada@acme.example"}})
	}
	if r := b.post("/password/forgot", url.Values{"email": {"ada@acme.example"}}); r.code != http.StatusTooManyRequests || r.h.Get("Retry-After") == "" {
		t.Fatalf("3rd reset request = %d, want 429", r.code)
	}
	// Another address from the same IP still has its own bucket, but the
	// IP's is empty too.
	if r := b.signIn("ada@acme.example", "wrong password!"); r.code != http.StatusTooManyRequests {
		t.Fatalf("another account from the same IP = %d, want 429 (per-IP bucket)", r.code)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if r := b.signIn("bob@acme.example", "wrong password!"); r.code != http.StatusUnauthorized {
		t.Fatalf("after the refill = %d, want 401", r.code)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t, web.Options{Sessions: store.SessionLimits{Idle: 300 * time.Millisecond, Absolute: time.Hour}})
	f := e.seed()
	b := e.browser()
	b.mustSignIn("bob@acme.example", f.password)
	if r := b.get("/account"); r.code != http.StatusOK {
		t.Fatalf("GET /account = %d", r.code)
	}
	time.Sleep(400 * time.Millisecond)
	if r := b.get("/account"); r.code != http.StatusSeeOther {
		t.Fatalf("GET /account after the idle timeout = %d, want 303 to /login", r.code)
	}
}

func TestSafeRedirectAfterSignIn(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	tests := []struct{ returnTo, want string }{
		{"/account?x=1", "/account?x=1"},
		{"//evil.example/", "/account"},
		{"https://evil.example/", "/account"},
		{"/\\evil.example", "/account"},
		{"javascript:alert(1)", "/account"},
	}
	for _, tc := range tests {
		b := e.browser()
		r := b.post("/login/password", url.Values{"email": {"bob@acme.example"}, "password": {f.password}, "org": {f.org.ID}, "return_to": {tc.returnTo}})
		if r.code != http.StatusSeeOther || r.loc != tc.want {
			t.Errorf("return_to %q: %d %q, want 303 %q", tc.returnTo, r.code, r.loc, tc.want)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
