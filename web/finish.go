package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// testReturnPath marks the flow of an admin's test sign-in; its "by" query
// names the admin who started it. It travels in the provider's server-side
// flow state (never through the browser), so it is as trustworthy as
// Result.Test, and it works where the session cookie is not sent (the SAML
// ACS POST is cross-site, and SameSite=Lax keeps the cookie home).
const testReturnPath = "/sso/test"

// FinishSSO completes a verified sign-in: a test is recorded and shown to the
// admin; a sign-in finds the account by its link, activates it on its first
// SSO sign-in and starts a session valid for the connection's org only.
func (w *Web) FinishSSO(rw http.ResponseWriter, r *http.Request, res sso.Result) {
	c := res.Connection
	at := attempt{Email: res.Identity.Email, Test: res.Test}
	if res.Test {
		w.finishTest(rw, r, res)
		return
	}
	org, err := w.st.GetOrg(r.Context(), c.OrgID)
	if err != nil {
		w.failSSO(rw, r, c, at, err)
		return
	}
	if !usable(org, c) {
		w.failSSO(rw, r, c, at, errNoConnection)
		return
	}
	acc, err := w.st.LinkSSOIdentity(r.Context(), c.ID, store.ExternalIdentity{Subject: res.Identity.Subject,
		Email: res.Identity.Email, EmailVerified: res.Identity.EmailVerified,
		GivenName: res.Identity.GivenName, FamilyName: res.Identity.FamilyName}, connectionJIT(c))
	if err != nil {
		w.failSSO(rw, r, c, at, err)
		return
	}
	if _, err := w.st.RecordSSOSignIn(r.Context(), c.OrgID, acc.ID, c.ID); err != nil {
		w.failSSO(rw, r, c, at, err)
		return
	}
	if err := w.startSession(rw, r, c.OrgID, acc.ID, c.ID); err != nil {
		w.failSSO(rw, r, c, at, err)
		return
	}
	w.recordAttempt(r, c, at, nil)
	w.log.Info("web.sign_in", "method", "sso", "org_id", c.OrgID, "connection_id", c.ID, "account_id", acc.ID)
	http.Redirect(rw, r, orDefault(safeReturnTo(res.ReturnTo), w.landing(r.Context(), c.OrgID, acc.ID)), http.StatusSeeOther)
}

// connectionJIT reads the per-connection just-in-time switch ("jit": true
// in the settings JSON); off unless set.
func connectionJIT(c store.Connection) bool {
	var s struct {
		JIT bool `json:"jit"`
	}
	_ = json.Unmarshal(c.Settings, &s)
	return s.JIT
}

func (w *Web) finishTest(rw http.ResponseWriter, r *http.Request, res sso.Result) {
	c := res.Connection
	at := attempt{Email: res.Identity.Email, Test: true}
	by := ""
	if u, err := url.Parse(res.ReturnTo); err == nil && u.Path == testReturnPath {
		by = u.Query().Get("by")
	}
	if by == "" {
		w.failSSO(rw, r, c, at, errors.New("test sign-in without its admin"))
		return
	}
	c, err := w.st.RecordConnectionTest(r.Context(), store.AdminActor(c.OrgID, by), c.OrgID, c.ID)
	if err != nil {
		w.failSSO(rw, r, res.Connection, at, err)
		return
	}
	org, err := w.st.GetOrg(r.Context(), c.OrgID)
	if err != nil {
		w.failSSO(rw, r, c, at, err)
		return
	}
	id := res.Identity
	var warn []string
	if !id.EmailVerified {
		warn = append(warn, "The identity provider did not mark the email as verified: people cannot be matched to their accounts by email the first time.")
	}
	if id.Email == "" || !slices.Contains(org.Domains, store.EmailDomain(id.Email)) {
		warn = append(warn, "The email is not in one of the organization's verified domains, so this person could not sign in.")
	}
	w.recordAttempt(r, c, at, nil)
	w.log.Info("web.sso_test_passed", "org_id", c.OrgID, "connection_id", c.ID, "admin_id", by)
	w.render(rw, r, http.StatusOK, "ssotest", page{Title: "Test sign-in succeeded", ConnectionName: c.Name, Identity: id, Warnings: warn,
		Notice: "The test is recorded: SSO can now be enabled with " + c.Name + ".", Link: "/admin/sso#c-" + url.QueryEscape(c.ID), LinkText: "Back to single sign-on"})
}

// FailSSO shows why a sign-in through an IdP did not complete, and records
// it in the org's sign-in attempts (failSSO). Store
// refusals are shown as they are written; anything else gets a generic
// sentence, and the cause goes to the log only.
func (w *Web) FailSSO(rw http.ResponseWriter, r *http.Request, c store.Connection, err error) {
	w.failSSO(rw, r, c, attempt{}, err)
}

// failSSO is FailSSO knowing what the IdP asserted: the one place where a
// failed SSO sign-in is recorded for the org's sign-in diagnostics.
func (w *Web) failSSO(rw http.ResponseWriter, r *http.Request, c store.Connection, a attempt, err error) {
	w.recordAttempt(r, c, a, err)
	code, msg, _ := errorStatus(err)
	switch {
	case errors.Is(err, sso.ErrOtherBrowser):
		code, msg = http.StatusForbidden, sso.ErrOtherBrowser.Error()
	case code >= 500 && code != http.StatusServiceUnavailable:
		code, msg = http.StatusBadRequest, "sign-in through your identity provider did not complete; try again, and if it keeps failing contact your administrator"
	case code == http.StatusNotFound:
		msg = "this sign-in method was not found; start again from the sign-in page"
	}
	w.log.Warn("web.sso_failed", "err", err, "connection_id", c.ID, "org_id", c.OrgID, "path", r.URL.Path)
	w.render(rw, r, code, "message", page{Title: "Sign-in failed", Error: sentence(msg), Link: "/login", LinkText: "Back to sign-in"})
}
