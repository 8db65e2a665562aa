package web

import (
	"net/http"

	"github.com/idbridge/idbridge/store"
)

// CurrentSession returns the live idbridge session of the browser, for the
// OpenID Provider's sign-in bridge (package provider).
func (w *Web) CurrentSession(r *http.Request) (store.Session, bool) { return w.session(r) }

// EndCurrentSession signs the browser out (RP-initiated logout).
func (w *Web) EndCurrentSession(rw http.ResponseWriter, r *http.Request) error {
	return w.endSession(rw, r)
}
