package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/idbridge/idbridge/store"
)

func (w *Web) forgotPage(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusOK, "forgot", page{Title: "Forgot password"})
}

// forgot emails a reset link. The answer is the same whether or not the
// address has an account.
func (w *Web) forgot(rw http.ResponseWriter, r *http.Request) {
	if !w.form(rw, r) {
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	p := page{Title: "Forgot password", Email: email}
	if p.Error = emailProblem(email); email == "" {
		p.Error = "Enter the email address you sign in with."
	}
	if p.Error != "" {
		p.ErrorAt = "email"
		w.render(rw, r, http.StatusBadRequest, "forgot", p)
		return
	}
	if ok, wait := w.reset.allow(limitKeys(r, email)...); !ok {
		w.tooMany(rw, r, wait)
		return
	}
	orgID := "" // the email comes from the sender of the org of the address's domain, if any
	if org, err := w.st.OrgForSignIn(r.Context(), email); err == nil {
		orgID = org.ID
	}
	if err := w.st.RequestPasswordReset(r.Context(), orgID, email); err != nil {
		w.fail(rw, r, "forgot", p, err)
		return
	}
	w.render(rw, r, http.StatusOK, "message", page{Title: "Check your email",
		Notice: "If " + email + " has an account, we have sent it a link to choose a new password. The link works once and expires soon.",
		Link:   "/login", LinkText: "Back to sign-in"})
}

func (w *Web) resetPage(rw http.ResponseWriter, r *http.Request) {
	w.linkPage(rw, r, "Choose a new password", "/password/reset")
}

func (w *Web) invitationPage(rw http.ResponseWriter, r *http.Request) {
	w.linkPage(rw, r, "Welcome: set your password", "/invitation")
}

func (w *Web) linkPage(rw http.ResponseWriter, r *http.Request, title, action string) {
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > 256 {
		w.deadLink(rw, r)
		return
	}
	w.render(rw, r, http.StatusOK, "setpassword", page{Title: title, Action: action, Token: token})
}

func (w *Web) deadLink(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusUnauthorized, "message", page{Title: "Link not valid",
		Error: sentence(strings.TrimPrefix(store.ErrLinkInvalid.Error(), store.ErrUnauthenticated.Error()+": ")),
		Link:  "/password/forgot", LinkText: "Ask for a new link"})
}

// resetPassword sets a password from a reset link; it also unlocks the account.
func (w *Web) resetPassword(rw http.ResponseWriter, r *http.Request) {
	w.usePasswordLink(rw, r, "Choose a new password", "/password/reset", w.st.ResetPassword,
		"Your new password is set and your account is unlocked. Sign in with it.")
}

// acceptInvitation sets the first password from an invitation and activates the account.
func (w *Web) acceptInvitation(rw http.ResponseWriter, r *http.Request) {
	w.usePasswordLink(rw, r, "Welcome: set your password", "/invitation", w.st.AcceptInvitation,
		"Your account is active. Sign in with your email and the password you chose.")
}

func (w *Web) usePasswordLink(rw http.ResponseWriter, r *http.Request, title, action string,
	use func(context.Context, string, string, string) (store.Account, error), done string) {
	if !w.form(rw, r) {
		return
	}
	token := r.PostFormValue("token")
	p := page{Title: title, Action: action, Token: token}
	if token == "" || len(token) > 256 {
		w.deadLink(rw, r)
		return
	}
	acc, err := use(r.Context(), token, r.PostFormValue("password"), r.PostFormValue("confirm"))
	switch {
	case errors.Is(err, store.ErrUnauthenticated):
		w.deadLink(rw, r)
		return
	case err != nil:
		w.fail(rw, r, "setpassword", p, err)
		return
	}
	w.log.Info("web.password_set", "via", strings.TrimPrefix(action, "/"), "account_id", acc.ID)
	w.render(rw, r, http.StatusOK, "message", page{Title: "Password set", Notice: done, Link: "/login", LinkText: "Sign in"})
}
