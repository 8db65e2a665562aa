package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/idbridge/idbridge/store"
)

// maxForm bounds every form body: sign-in forms are a few hundred bytes.
const maxForm = 64 << 10

// form parses a POSTed form within maxForm; false means a 400 was written.
func (w *Web) form(rw http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		w.render(rw, r, http.StatusBadRequest, "message", page{Title: "Bad request", Error: "The form could not be read. Go back and try again."})
		return false
	}
	return true
}

// loginPage asks for an email or domain. An app's hints (passed on by the
// OpenID Provider) skip that step: org_hint names the org, login_hint (an
// email) or domain_hint is looked up as if entered.
func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	returnTo := safeReturnTo(q.Get("return_to"))
	loginHint := strings.TrimSpace(q.Get("login_hint"))
	if len(loginHint) > store.MaxEmailLength || !strings.Contains(loginHint, "@") {
		loginHint = ""
	}
	if orgID := q.Get("org_hint"); orgID != "" {
		if org, err := w.st.GetOrg(r.Context(), orgID); err == nil {
			w.continueWithOrg(rw, r, page{Title: "Sign in", Identifier: loginHint, Email: loginHint, ReturnTo: returnTo}, org)
			return
		}
	}
	if id := orDefault(loginHint, strings.TrimSpace(q.Get("domain_hint"))); id != "" && len(id) <= store.MaxEmailLength {
		w.lookup(rw, r, id, returnTo)
		return
	}
	w.render(rw, r, http.StatusOK, "login", page{Title: "Sign in", ReturnTo: returnTo})
}

// loginLookup finds the org of an email or company domain and continues with
// its SSO connection or the password form.
func (w *Web) loginLookup(rw http.ResponseWriter, r *http.Request) {
	if !w.form(rw, r) {
		return
	}
	w.lookup(rw, r, strings.TrimSpace(r.PostFormValue("identifier")), safeReturnTo(r.PostFormValue("return_to")))
}

// lookup continues the sign-in of an email or company domain.
func (w *Web) lookup(rw http.ResponseWriter, r *http.Request, id, returnTo string) {
	p := page{Title: "Sign in", Identifier: id, ReturnTo: returnTo, ErrorAt: "identifier"}
	if strings.Contains(id, "@") {
		p.Email = id
		p.Error = emailProblem(id)
	}
	if id == "" {
		p.Error = "Enter your work email or your company's domain."
	}
	if p.Error != "" {
		w.render(rw, r, http.StatusBadRequest, "login", p)
		return
	}
	org, err := w.st.OrgForSignIn(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrInvalid):
		p.Error = "Enter an email address like jane@example.com or a domain like example.com."
		w.render(rw, r, http.StatusBadRequest, "login", p)
		return
	case errors.Is(err, store.ErrNotFound) && p.Email != "":
		// Not a company domain (a consultant's own address): the password
		// form, which does not tell whether the account exists.
		p.Title = "Sign in with your password"
		w.render(rw, r, http.StatusOK, "password", p)
		return
	case errors.Is(err, store.ErrNotFound):
		p.Error = "No organization signs in with " + id + ". Check the domain, or enter your email address."
		w.render(rw, r, http.StatusNotFound, "login", p)
		return
	case err != nil:
		p.ErrorAt = ""
		w.fail(rw, r, "login", p, err)
		return
	}
	p.ErrorAt = ""
	w.continueWithOrg(rw, r, p, org)
}

// continueWithOrg goes on to the org's SSO or its password form.
func (w *Web) continueWithOrg(rw http.ResponseWriter, r *http.Request, p page, org store.Org) {
	p.OrgID, p.OrgName = org.ID, org.Name
	if !org.SSOEnabled {
		p.Title = "Sign in with your password"
		w.render(rw, r, http.StatusOK, "password", p)
		return
	}
	cs, err := w.ssoChoices(r, org)
	if err != nil {
		w.fail(rw, r, "login", p, err)
		return
	}
	if len(cs) == 1 {
		w.startSSO(rw, r, cs[0], p.ReturnTo, false)
		return
	}
	p.Title, p.Connections = "Choose your sign-in", cs
	w.render(rw, r, http.StatusOK, "choose", p)
}

// ssoChoices are the connections a person of org may sign in through: the
// one SSO is enabled with first, then others with a successful test, among
// those whose protocol is served.
func (w *Web) ssoChoices(r *http.Request, org store.Org) ([]store.Connection, error) {
	all, err := w.st.ListConnections(r.Context(), org.ID)
	if err != nil {
		return nil, err
	}
	var out []store.Connection
	for _, c := range all {
		if _, ok := w.providers[c.Kind]; !ok || !usable(org, c) {
			continue
		}
		if c.ID == org.SSOConnectionID {
			out = append([]store.Connection{c}, out...)
		} else {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errNoConnection
	}
	return out, nil
}

var errNoConnection = fmt.Errorf("%w: no sign-in method of this organization is available here; contact your administrator", store.ErrForbidden)

// usable says whether a (non-test) sign-in may go through c.
func usable(org store.Org, c store.Connection) bool {
	return c.OrgID == org.ID && org.SSOEnabled && (c.ID == org.SSOConnectionID || c.TestedAt != nil)
}

// loginSSO continues through the connection picked on the chooser.
func (w *Web) loginSSO(rw http.ResponseWriter, r *http.Request) {
	if !w.form(rw, r) {
		return
	}
	p := page{Title: "Sign in", ReturnTo: safeReturnTo(r.PostFormValue("return_to"))}
	org, err := w.st.GetOrg(r.Context(), r.PostFormValue("org"))
	if err != nil {
		w.fail(rw, r, "login", p, err)
		return
	}
	c, err := w.st.GetConnection(r.Context(), org.ID, r.PostFormValue("connection"))
	if err == nil && !usable(org, c) {
		err = store.ErrNotFound
	}
	if err != nil {
		w.fail(rw, r, "login", p, err)
		return
	}
	w.startSSO(rw, r, c, p.ReturnTo, false)
}

// startSSO hands the browser to the connection's provider.
func (w *Web) startSSO(rw http.ResponseWriter, r *http.Request, c store.Connection, returnTo string, test bool) {
	p, ok := w.providers[c.Kind]
	if !ok {
		w.render(rw, r, http.StatusServiceUnavailable, "message", page{Title: "Sign-in unavailable",
			Error: "Sign-in through " + string(c.Kind) + " is not available on this server. Contact your administrator."})
		return
	}
	// The provider's answer is its own (a redirect, or a self-submitting
	// POST-binding form that needs its script): drop our page policy.
	rw.Header().Del("Content-Security-Policy")
	if err := p.Start(rw, r, c, returnTo, test); err != nil {
		w.FailSSO(rw, r, c, err)
	}
}

// loginPassword checks an email and password and starts a session.
func (w *Web) loginPassword(rw http.ResponseWriter, r *http.Request) {
	if !w.form(rw, r) {
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	p := page{Title: "Sign in with your password", Email: email, OrgID: r.PostFormValue("org"), ReturnTo: safeReturnTo(r.PostFormValue("return_to"))}
	if p.Error = emailProblem(email); p.Error != "" {
		p.ErrorAt = "email"
		w.render(rw, r, http.StatusBadRequest, "password", p)
		return
	}
	if ok, wait := w.signIn.allow(limitKeys(r, email)...); !ok {
		w.holdRejected(r)
		w.tooMany(rw, r, wait)
		return
	}
	if p.OrgID != "" {
		org, err := w.st.GetOrg(r.Context(), p.OrgID)
		if err != nil {
			w.fail(rw, r, "password", page{Title: p.Title, Email: email, ReturnTo: p.ReturnTo}, err)
			return
		}
		p.OrgName = org.Name
	}
	// That the org signs in through SSO is said by the store, and only to
	// the right password: until then every email gets the same answers.
	acc, err := w.st.PasswordSignIn(r.Context(), p.OrgID, email, r.PostFormValue("password"))
	if errors.Is(err, store.ErrBusy) {
		w.holdRejected(r)
	}
	if store.RuleOf(err) == store.RulePasswordSignIn { // back to the domain form, to the IdP
		p.Title, p.Identifier = "Sign in", email
		w.fail(rw, r, "login", p, err)
		return
	}
	switch {
	case store.RuleOf(err) == store.RuleLockout:
		// The same page for every email: confirm it, get a link by email.
		p.Title = "Confirm your email"
		w.fail(rw, r, "locked", p, err)
		return
	case err != nil:
		p.WrongPassword = errors.Is(err, store.ErrBadCredentials)
		w.fail(rw, r, "password", p, err)
		return
	}
	orgID := p.OrgID
	if orgID == "" {
		if orgID, err = w.passwordOrg(r, acc); err != nil {
			w.fail(rw, r, "password", p, err)
			return
		}
	}
	if err := w.startSession(rw, r, orgID, acc.ID, ""); err != nil {
		w.fail(rw, r, "password", p, err)
		return
	}
	w.log.Info("web.sign_in", "method", "password", "org_id", orgID, "account_id", acc.ID)
	http.Redirect(rw, r, orDefault(p.ReturnTo, w.landing(r.Context(), orgID, acc.ID)), http.StatusSeeOther)
}

// emailProblem says what is wrong with an email typed into a form (rule 2:
// at most 254 characters, ASCII only), or "" when nothing is.
func emailProblem(email string) string {
	_, err := store.NormalizeEmail(email)
	var re *store.RuleError
	if errors.As(err, &re) {
		return re.Detail
	}
	if err != nil {
		return "Enter an email address like jane@example.com."
	}
	return ""
}

// usernamePage is "Forgot your username?": what the username is, and how to
// reach support.
func (w *Web) usernamePage(rw http.ResponseWriter, r *http.Request) {
	p := page{Title: "Forgot your username?"}
	if c := w.opt.SupportContact; strings.Contains(c, "://") {
		p.SupportURL = c
	} else {
		p.SupportEmail = c
	}
	w.render(rw, r, http.StatusOK, "username", p)
}

// passwordOrg picks the org a password sign-in without a company domain goes
// to: the first org of the account without SSO where it is enabled.
func (w *Web) passwordOrg(r *http.Request, acc store.Account) (string, error) {
	orgs, err := w.st.AccountOrgs(r.Context(), acc.ID)
	if err != nil {
		return "", err
	}
	for _, o := range orgs {
		if o.SSOEnabled {
			continue
		}
		m, err := w.st.GetMember(r.Context(), o.ID, acc.ID)
		if err == nil && !m.Membership.Disabled {
			return o.ID, nil
		}
	}
	return "", errNoOrg
}

var errNoOrg = fmt.Errorf("%w: this account has no organization to sign in to with a password", store.ErrForbidden)

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (w *Web) logoutPage(rw http.ResponseWriter, r *http.Request) {
	if _, ok := w.session(r); !ok {
		http.Redirect(rw, r, "/login", http.StatusSeeOther)
		return
	}
	w.render(rw, r, http.StatusOK, "logout", page{Title: "Sign out"})
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	if err := w.endSession(rw, r); err != nil {
		w.fail(rw, r, "message", page{Title: "Sign out"}, err)
		return
	}
	w.render(rw, r, http.StatusOK, "message", page{Title: "Signed out", Notice: "You are signed out.", Link: "/login", LinkText: "Sign in again"})
}
