package web

import (
	"net/http"
	"strings"

	"github.com/idbridge/idbridge/store"
)

var accountNotices = map[string]string{
	"name":     "Your name is saved.",
	"password": "Your password is changed.",
}

func (w *Web) accountPage(rw http.ResponseWriter, r *http.Request) {
	w.requireSession(func(rw http.ResponseWriter, r *http.Request, s store.Session) {
		p, err := w.accountView(r, s)
		if err != nil {
			w.fail(rw, r, "message", page{Title: "Your account"}, err)
			return
		}
		p.Notice = accountNotices[r.URL.Query().Get("done")]
		w.render(rw, r, http.StatusOK, "account", p)
	})(rw, r)
}

func (w *Web) accountView(r *http.Request, s store.Session) (page, error) {
	acc, err := w.st.GetAccount(r.Context(), s.AccountID)
	if err != nil {
		return page{}, err
	}
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		return page{}, err
	}
	p := page{Title: "Your account", Email: acc.Email, OrgID: org.ID, OrgName: org.Name, GivenName: acc.GivenName, FamilyName: acc.FamilyName}
	// An org's system admin also sees its SSO connections, with the button
	// that starts a test sign-in (the one admin action that needs a browser).
	m, err := w.st.GetMember(r.Context(), org.ID, acc.ID)
	if err == nil && m.Membership.UserType == store.UserTypeSystemAdmin && !m.Membership.Disabled {
		if p.Connections, err = w.st.ListConnections(r.Context(), org.ID); err != nil {
			return page{}, err
		}
		p.Admin, p.SSOConnectionID = true, org.SSOConnectionID
	}
	return p, nil
}

// accountName lets people edit their own name (rule 8).
func (w *Web) accountName(rw http.ResponseWriter, r *http.Request) {
	w.requireSession(func(rw http.ResponseWriter, r *http.Request, s store.Session) {
		if !w.form(rw, r) {
			return
		}
		given, family := strings.TrimSpace(r.PostFormValue("given")), strings.TrimSpace(r.PostFormValue("family"))
		if _, err := w.st.SetName(r.Context(), store.SelfActor(s.AccountID), s.AccountID, given, family); err != nil {
			p, verr := w.accountView(r, s)
			if verr != nil {
				p = page{Title: "Your account"}
			}
			p.GivenName, p.FamilyName, p.ErrorAt = given, family, "name"
			w.fail(rw, r, "account", p, err)
			return
		}
		http.Redirect(rw, r, "/account?done=name", http.StatusSeeOther)
	})(rw, r)
}

// accountPassword changes the password: the current one and the new one twice (rule 10).
func (w *Web) accountPassword(rw http.ResponseWriter, r *http.Request) {
	w.requireSession(func(rw http.ResponseWriter, r *http.Request, s store.Session) {
		if !w.form(rw, r) {
			return
		}
		if ok, wait := w.signIn.allow("ip:"+clientIP(r), "id:"+s.AccountID); !ok {
			w.tooMany(rw, r, wait)
			return
		}
		err := w.st.ChangePassword(r.Context(), s.AccountID, s.Hash, r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm"))
		if err != nil {
			p, verr := w.accountView(r, s)
			if verr != nil {
				p = page{Title: "Your account"}
			}
			p.ErrorAt = "password"
			w.fail(rw, r, "account", p, err)
			return
		}
		http.Redirect(rw, r, "/account?done=password", http.StatusSeeOther)
	})(rw, r)
}
