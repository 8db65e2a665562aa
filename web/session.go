package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/idbridge/idbridge/store"
)

type ctxKey int

const sessionKey ctxKey = iota

// session returns the live session of the request's cookie. Ended, idle and
// expired sessions, and a failing database, answer false (the cause of the
// latter is logged).
func (w *Web) session(r *http.Request) (store.Session, bool) {
	if s, ok := r.Context().Value(sessionKey).(store.Session); ok {
		return s, true
	}
	c, err := r.Cookie(w.cookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return store.Session{}, false
	}
	s, err := w.st.CheckSession(r.Context(), c.Value, w.opt.Sessions)
	if err != nil {
		if !errors.Is(err, store.ErrUnauthenticated) {
			w.log.Error("web.session_check_failed", "err", err, "path", r.URL.Path)
		}
		return store.Session{}, false
	}
	return s, true
}

// withSession stores the checked session in the request's context, so it is
// read from the database once per request.
func withSession(r *http.Request, s store.Session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey, s))
}

// startSession signs the browser in to one org: any previous session of this
// browser ends (no fixation), a new random id is set in the cookie.
func (w *Web) startSession(rw http.ResponseWriter, r *http.Request, orgID, accountID, connectionID string) error {
	if c, err := r.Cookie(w.cookie); err == nil && c.Value != "" && len(c.Value) <= 128 {
		if err := w.st.EndSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	secret, _, err := w.st.CreateSession(r.Context(), orgID, accountID, connectionID, w.opt.Sessions)
	if err != nil {
		return err
	}
	http.SetCookie(rw, &http.Cookie{Name: w.cookie, Value: secret, Path: "/", HttpOnly: true, Secure: w.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(w.opt.Sessions.Absolute.Seconds())})
	return nil
}

// endSession signs the browser out and clears the cookie.
func (w *Web) endSession(rw http.ResponseWriter, r *http.Request) error {
	var err error
	if c, cerr := r.Cookie(w.cookie); cerr == nil && c.Value != "" && len(c.Value) <= 128 {
		err = w.st.EndSession(r.Context(), c.Value)
	}
	http.SetCookie(rw, &http.Cookie{Name: w.cookie, Value: "", Path: "/", HttpOnly: true, Secure: w.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return err
}

// requireSession runs a page handler for a signed-in browser; others go to
// /login and come back afterwards.
func (w *Web) requireSession(h func(http.ResponseWriter, *http.Request, store.Session)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		s, ok := w.session(r)
		if !ok {
			back := "/account"
			if r.Method == http.MethodGet {
				back = r.URL.RequestURI()
			}
			http.Redirect(rw, r, "/login?return_to="+url.QueryEscape(back), http.StatusSeeOther)
			return
		}
		h(rw, withSession(r, s), s)
	}
}
