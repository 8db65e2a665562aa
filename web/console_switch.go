package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/idbridge/idbridge/store"
)

// The org switcher: a person who administers several orgs (of one or
// several companies) picks the one the console works on. A session belongs
// to one org, so switching signs in to the other org, under its own policy:
// an SSO org goes through its SSO; an org without SSO gets a new session
// only when the current one was a password sign-in (the password was proven
// for this account, and passwords never open an SSO org), else the sign-in
// page of that org with the email filled in.

// orgGroup is a company and the orgs of it the person administers.
type orgGroup struct {
	Company string
	Orgs    []myOrgJSON
}

// groupOrgs groups orgs by company, the companies by name.
func groupOrgs(orgs []myOrgJSON) []orgGroup {
	var out []orgGroup
	for _, o := range orgs {
		i := slices.IndexFunc(out, func(g orgGroup) bool { return g.Company == o.CompanyName })
		if i < 0 {
			out = append(out, orgGroup{Company: o.CompanyName})
			i = len(out) - 1
		}
		out[i].Orgs = append(out[i].Orgs, o)
	}
	slices.SortStableFunc(out, func(a, b orgGroup) int {
		return strings.Compare(strings.ToLower(a.Company), strings.ToLower(b.Company))
	})
	return out
}

// switchGroups is the switcher of the session's person: nil unless they
// administer more than one org.
func (w *Web) switchGroups(r *http.Request, s store.Session) ([]orgGroup, error) {
	orgs, err := w.adminOrgs(r.Context(), s)
	if err != nil || len(orgs) < 2 && (len(orgs) == 0 || orgs[0].Current) {
		return nil, err
	}
	return groupOrgs(orgs), nil
}

// consoleHome is /admin: the switcher for an admin of several orgs, the
// Users page for the admin of one, the account page for anyone else.
func (w *Web) consoleHome(rw http.ResponseWriter, r *http.Request, s store.Session) {
	admin, err := w.isAdmin(r.Context(), s)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		w.fail(rw, r, "message", page{Title: "Users"}, err)
		return
	}
	groups, err := w.switchGroups(r, s)
	if err != nil {
		w.fail(rw, r, "message", page{Title: "Users"}, err)
		return
	}
	switch {
	case groups != nil && admin:
		w.renderConsole(rw, asAdmin(r, s), http.StatusOK, "admin_orgs", "orgs", "Your organizations", console{Self: "/admin"})
	case groups != nil:
		w.render(rw, r, http.StatusOK, "admin_orgs", page{Title: "Your organizations", Switch: groups, Self: "/admin"})
	case admin:
		http.Redirect(rw, r, "/admin/users", http.StatusSeeOther)
	default:
		http.Redirect(rw, r, "/account", http.StatusSeeOther)
	}
}

// consoleSwitch signs in to another org the person administers.
func (w *Web) consoleSwitch(rw http.ResponseWriter, r *http.Request, s store.Session) {
	if !w.form(rw, r) {
		return
	}
	ctx := r.Context()
	orgID := r.PostFormValue("org")
	m, err := w.st.GetMember(ctx, orgID, s.AccountID)
	if err == nil && (m.Membership.UserType != store.UserTypeSystemAdmin || m.Membership.Disabled) {
		err = store.ErrNotFound
	}
	var org store.Org
	if err == nil {
		org, err = w.st.GetOrg(ctx, orgID)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		w.render(rw, r, http.StatusNotFound, "message", page{Title: "Your organizations",
			Error: "You are not an administrator of this organization.", Link: "/admin", LinkText: "Your organizations"})
		return
	}
	if err != nil {
		w.fail(rw, r, "message", page{Title: "Your organizations"}, err)
		return
	}
	if org.ID == s.OrgID {
		http.Redirect(rw, r, "/admin/users", http.StatusSeeOther)
		return
	}
	email := m.Account.Email
	switch {
	case org.SSOEnabled:
		w.continueWithOrg(rw, r, page{Title: "Sign in", Identifier: email, Email: email, ReturnTo: "/admin/users"}, org)
	case s.ConnectionID == "":
		if err := w.startSession(rw, r, org.ID, s.AccountID, ""); err != nil {
			w.fail(rw, r, "message", page{Title: "Your organizations"}, err)
			return
		}
		w.log.Info("web.sign_in", "method", "switch", "org_id", org.ID, "from_org_id", s.OrgID, "account_id", s.AccountID)
		http.Redirect(rw, r, "/admin/users", http.StatusSeeOther)
	default:
		q := url.Values{"org_hint": {org.ID}, "login_hint": {email}, "return_to": {"/admin/users"}}
		http.Redirect(rw, r, "/login?"+q.Encode(), http.StatusSeeOther)
	}
}
