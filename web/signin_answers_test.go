package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// roomy rate limits: these tests make many attempts from one address.
var roomy = web.Options{SignInLimit: web.Limit{Burst: 1000, Every: time.Millisecond}, ResetLimit: web.Limit{Burst: 1000, Every: time.Millisecond}}

// answer is what a person sees, the email they typed left out.
type answer struct {
	code int
	text string
}

func wrongPasswords(b *browser, orgID, addr string, n int) []answer {
	var out []answer
	for range n {
		r := b.post("/login/password", url.Values{"email": {addr}, "password": {"wrong password!"}, "org": {orgID}})
		out = append(out, answer{r.code, strings.ReplaceAll(text(r.body), addr, "EMAIL")})
	}
	return out
}

// Issue 8 item 6: with SSO on, the password form of the org answers an
// account with a password, an account without one and an unknown email the
// same, attempt after attempt, lockout included; "signs in through SSO"
// comes only after the right password.
func TestSignInAnswersDoNotRevealAccounts(t *testing.T) {
	e := newEnv(t, roomy)
	f := e.seed()
	noPW, err := e.st.CreateMember(e.ctx, store.SupportActor("test"), f.org.ID, store.NewMember{Email: "cy@acme.example"})
	e.must(err)
	e.enableSSO(f.org)
	n := store.MaxFailedAttempts + 2
	want := wrongPasswords(e.browser(), f.org.ID, "nobody@acme.example", n)
	if want[0].code != http.StatusUnauthorized || !strings.Contains(want[0].text, "Wrong email or password") {
		t.Fatalf("first wrong password of an unknown email = %+v, want 401 Wrong email or password", want[0])
	}
	if last := want[n-1]; last.code != http.StatusConflict || !strings.Contains(last.text, "locked") || want[store.MaxFailedAttempts-1] != last {
		t.Fatalf("unknown email, attempts %d on = %+v, want the lockout", store.MaxFailedAttempts, want[store.MaxFailedAttempts-1:])
	}
	for _, addr := range []string{f.user.Account.Email, noPW.Account.Email} {
		got := wrongPasswords(e.browser(), f.org.ID, addr, n)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s, attempt %d: %d %q\nwant, as for an unknown email: %d %q", addr, i+1, got[i].code, got[i].text, want[i].code, want[i].text)
			}
		}
	}
	// The right password after the lockout: the same lockout page.
	r := e.browser().post("/login/password", url.Values{"email": {f.user.Account.Email}, "password": {f.password}, "org": {f.org.ID}})
	if got := (answer{r.code, strings.ReplaceAll(text(r.body), f.user.Account.Email, "EMAIL")}); got != want[n-1] {
		t.Errorf("right password after the lockout = %+v, want %+v", got, want[n-1])
	}
	// Only a proven password learns that the org signs in through SSO.
	r = e.browser().post("/login/password", url.Values{"email": {f.admin.Account.Email}, "password": {f.password}, "org": {f.org.ID}})
	if r.code != http.StatusConflict || !strings.Contains(text(r.body), "Acme Hotels signs in through SSO") {
		t.Fatalf("right password into an SSO org = %d %q, want 409 signs in through SSO", r.code, text(r.body))
	}
}

// Issue 8 item 23 (seed 000): after the fifth failure the page asks the
// person to confirm their email and offers to send a link to create a
// password: the same page and the same answer whether or not the account
// exists; "Forgot your username?" says how to reach support.
func TestLockoutPageSendsLinkAndUsernameHelp(t *testing.T) {
	opt := roomy
	opt.SupportContact = "help@idbridge.example"
	e := newEnv(t, opt)
	f := e.seed()
	var pages []answer
	for _, addr := range []string{f.user.Account.Email, "nobody@acme.example"} {
		b := e.browser()
		got := wrongPasswords(b, f.org.ID, addr, store.MaxFailedAttempts)
		last := got[len(got)-1]
		for _, want := range []string{"Confirm your email", "locked", "Is this your email address?", "Yes, send me a link to create a password", "Forgot your username?"} {
			if !strings.Contains(last.text, want) {
				t.Errorf("%s: page after the fifth failure lacks %q: %q", addr, want, last.text)
			}
		}
		pages = append(pages, last)
		r := b.post("/login/password", url.Values{"email": {addr}, "password": {"wrong password!"}, "org": {f.org.ID}})
		if !strings.Contains(r.body, `action="/password/forgot"`) || !strings.Contains(r.body, `value="`+addr+`"`) {
			t.Fatalf("%s: the lockout page has no link request with the email filled in: %s", addr, r.body)
		}
		// "Yes, send me a link": the form posts the email to /password/forgot.
		r = b.post("/password/forgot", url.Values{"email": {addr}})
		if r.code != http.StatusOK || !strings.Contains(text(r.body), "If "+addr+" has an account, we have sent it a link") {
			t.Fatalf("%s: sending the link = %d %q", addr, r.code, text(r.body))
		}
	}
	if pages[0] != pages[1] {
		t.Errorf("lockout pages differ:\n%+v\n%+v", pages[0], pages[1])
	}
	if ms, _ := e.st.ListOutbox(e.ctx, "nobody@acme.example"); len(ms) != 0 {
		t.Errorf("a link went to an unknown address")
	}
	link := e.link(f.user.Account.Email, "/password/reset")
	b := e.browser()
	token := mustParse(t, link).Query().Get("token")
	if r := b.post("/password/reset", url.Values{"token": {token}, "password": {"new password 123"}, "confirm": {"new password 123"}}); r.code != http.StatusOK {
		t.Fatalf("reset = %d %q", r.code, text(r.body))
	}
	b.mustSignIn(f.user.Account.Email, "new password 123")

	r := e.browser().get("/login/username")
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Your username is your work email address") || !strings.Contains(r.body, `href="mailto:help@idbridge.example"`) {
		t.Fatalf("GET /login/username = %d %q, want the support address", r.code, text(r.body))
	}
	for _, path := range []string{"/login", "/password/forgot"} {
		if r := e.browser().get(path); !strings.Contains(r.body, `href="/login/username"`) {
			t.Errorf("%s has no link to Forgot your username?", path)
		}
	}
}

// Issue 8 item 22: a wrong password tells those who never set one (SSO
// turned off) to use "Forgot password", for every email alike.
func TestWrongPasswordPointsToForgotPassword(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	_, err := e.st.CreateMember(e.ctx, store.SupportActor("test"), f.org.ID, store.NewMember{Email: "cy@acme.example"})
	e.must(err)
	for _, addr := range []string{"cy@acme.example", f.user.Account.Email, "nobody@acme.example"} {
		r := e.browser().signIn(addr, "wrong password!")
		if r.code != http.StatusUnauthorized || !strings.Contains(text(r.body), "Never set a password, or forgot it? Use Forgot password") {
			t.Errorf("%s: wrong password = %d %q, want the Forgot password hint", addr, r.code, text(r.body))
		}
	}
}

// Issue 8 item 22: the sign-in and forgot forms refuse a 5,000-character or
// non-ASCII email with a readable message next to the field, before any
// lookup or attempt is counted.
func TestEmailFieldsRefuseLongAndNonASCII(t *testing.T) {
	e := newEnv(t, roomy)
	f := e.seed()
	long := strings.Repeat("a", 5000) + "@acme.example"
	for _, tc := range []struct{ addr, want string }{
		{long, "longer than 254 characters"},
		{"jösé@acme.example", "only unaccented Latin letters"},
		{"bob@acme.example" + strings.Repeat("x", 250), "longer than 254 characters"},
	} {
		for _, form := range []struct {
			path, field string
			values      url.Values
		}{
			{"/login", "identifier", url.Values{"identifier": {tc.addr}}},
			{"/login/password", "email", url.Values{"email": {tc.addr}, "password": {"wrong password!"}, "org": {f.org.ID}}},
			{"/password/forgot", "email", url.Values{"email": {tc.addr}}},
		} {
			r := e.browser().post(form.path, form.values)
			errAt := strings.Index(r.body, `id="`+form.field+`-error"`)
			input := strings.Index(r.body, `id="`+form.field+`"`)
			if r.code != http.StatusBadRequest || !strings.Contains(text(r.body), tc.want) || errAt < 0 || input < 0 || errAt < input {
				t.Errorf("POST %s with %.30q... = %d, want 400 with %q right after the field: %.300q", form.path, tc.addr, r.code, tc.want, text(r.body))
			}
			if strings.Contains(r.body, `class="error" role="alert"`) {
				t.Errorf("POST %s: the error is also at the top of the page", form.path)
			}
		}
	}
	if a, _ := e.st.AccountByEmail(e.ctx, f.user.Account.Email); a.FailedAttempts != 0 {
		t.Errorf("refused emails counted %d failed attempts", a.FailedAttempts)
	}
	if ms, _ := e.st.ListOutbox(e.ctx, f.user.Account.Email); len(ms) != 0 {
		t.Errorf("a refused email sent a reset link")
	}
}

// Issue 8 item 22: an error on /account shows inside the form that failed.
func TestAccountErrorsNextToTheirForm(t *testing.T) {
	e := newEnv(t, web.Options{})
	f := e.seed()
	b := e.browser()
	b.mustSignIn(f.user.Account.Email, f.password)
	for _, tc := range []struct {
		action string
		form   url.Values
		want   string
	}{
		{"/account/name", url.Values{"given": {strings.Repeat("x", 201)}}, "at most 200 characters"},
		{"/account/password", url.Values{"current": {"nope nope nope"}, "new": {"brand new pass 1"}, "confirm": {"brand new pass 1"}}, "current password is wrong"},
	} {
		r := b.post(tc.action, tc.form)
		start := strings.Index(r.body, `action="`+tc.action+`"`)
		if start < 0 {
			t.Fatalf("POST %s: no form %s on the page", tc.action, tc.action)
		}
		inForm := r.body[start:]
		inForm = inForm[:strings.Index(inForm, "</form>")]
		if !strings.Contains(inForm, `role="alert"`) || !strings.Contains(text(inForm), tc.want) {
			t.Errorf("POST %s: the error %q is not inside its form; page: %q", tc.action, tc.want, text(r.body))
		}
		if strings.Count(r.body, `role="alert"`) != 1 {
			t.Errorf("POST %s: %d error messages, want 1", tc.action, strings.Count(r.body, `role="alert"`))
		}
	}
}
