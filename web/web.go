package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Options tune the pages and sessions. Zero values take the defaults.
type Options struct {
	// BaseURL is the public URL; https makes the session cookie Secure.
	BaseURL string
	// Sessions are the idle and absolute timeouts (default store.DefaultSessionLimits).
	Sessions store.SessionLimits
	// SignInLimit bounds password sign-in attempts per account and per IP;
	// ResetLimit bounds "forgot password" requests the same way.
	SignInLimit Limit
	ResetLimit  Limit
	// RejectHold (default 1s) is how long the answer to a refused password
	// sign-in (429 over the limit, 503 when the hashing queue is full) is held
	// back, for at most MaxHeld (default 4096) requests at once: a client
	// looping on refusals then makes about one attempt a second per
	// connection instead of thousands, which would starve SCIM of CPU
	// (BenchmarkSCIMUnderSignInFlood in package server). A held request costs
	// a parked goroutine, no CPU.
	RejectHold time.Duration
	MaxHeld    int
	// Now is the clock of the rate limiters (default time.Now).
	Now func() time.Time
	// SupportContact is how people reach support, an email address or a
	// URL, shown on the "Forgot your username?" page.
	SupportContact string
	// BulkJobThreshold is the most users a bulk change handles inside the
	// request (default DefaultBulkJobThreshold); more run as a stored job.
	BulkJobThreshold int
}

// OptionsFrom takes the settings of the server's configuration.
func OptionsFrom(cfg config.Config) Options {
	return Options{BaseURL: cfg.BaseURL, SupportContact: cfg.SupportContact, BulkJobThreshold: cfg.BulkJobThreshold}
}

// Web is the sign-in pages, the account page, the admin API and the
// sso.Finisher of the protocol providers.
type Web struct {
	st        *store.Store
	opt       Options
	log       *slog.Logger
	providers map[store.ConnectionKind]sso.Provider
	secure    bool
	cookie    string
	csrf      *http.CrossOriginProtection
	pages     *pages
	signIn    *limiters
	reset     *limiters
	held      chan struct{} // one per refused sign-in being held back
}

var _ sso.Finisher = (*Web)(nil)

// New returns the web handlers over st. Providers may also be added later
// with AddProvider (they usually need the Web as their sso.Finisher), but
// before Mount.
func New(st *store.Store, opt Options, log *slog.Logger, providers ...sso.Provider) *Web {
	if opt.Sessions == (store.SessionLimits{}) {
		opt.Sessions = store.DefaultSessionLimits
	}
	if opt.SignInLimit == (Limit{}) {
		opt.SignInLimit = Limit{Burst: 10, Every: 6 * time.Second}
	}
	if opt.ResetLimit == (Limit{}) {
		opt.ResetLimit = Limit{Burst: 3, Every: 5 * time.Minute}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.RejectHold <= 0 {
		opt.RejectHold = time.Second
	}
	if opt.MaxHeld <= 0 {
		opt.MaxHeld = 4096
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Web{st: st, opt: opt, log: log, providers: map[store.ConnectionKind]sso.Provider{},
		csrf: http.NewCrossOriginProtection(), pages: mustPages(), held: make(chan struct{}, opt.MaxHeld)}
	if u, err := url.Parse(opt.BaseURL); err == nil && u.Scheme == "https" {
		w.secure = true
	}
	w.cookie = "idb_session"
	if w.secure {
		w.cookie = "__Host-idb_session" // Secure, Path=/, no Domain: not settable by a sibling subdomain
	}
	w.csrf.SetDenyHandler(http.HandlerFunc(w.crossOriginDenied))
	w.signIn = newLimiters(opt.SignInLimit, opt.Now)
	w.reset = newLimiters(opt.ResetLimit, opt.Now)
	for _, p := range providers {
		w.AddProvider(p)
	}
	return w
}

// AddProvider serves connections of p's kind through p.
func (w *Web) AddProvider(p sso.Provider) { w.providers[p.Kind()] = p }

// Providers returns the protocol providers, for the server's maintenance loop.
func (w *Web) Providers() []sso.Provider {
	out := make([]sso.Provider, 0, len(w.providers))
	for _, p := range w.providers {
		out = append(out, p)
	}
	return out
}

// Mount adds every route to r: the pages and admin API behind cross-origin
// protection, and the providers' own callback routes as they are.
func (w *Web) Mount(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(w.headers, w.csrf.Handler)
		r.Get("/", w.home)
		r.Get("/login", w.loginPage)
		r.Post("/login", w.loginLookup)
		r.Post("/login/password", w.loginPassword)
		r.Post("/login/sso", w.loginSSO)
		r.Get("/login/username", w.usernamePage)
		r.Get("/logout", w.logoutPage)
		r.Post("/logout", w.logout)
		r.Get("/password/forgot", w.forgotPage)
		r.Post("/password/forgot", w.forgot)
		r.Get("/password/reset", w.resetPage)
		r.Post("/password/reset", w.resetPassword)
		r.Get("/invitation", w.invitationPage)
		r.Post("/invitation", w.acceptInvitation)
		r.Get("/account", w.accountPage)
		r.Post("/account/name", w.accountName)
		r.Post("/account/password", w.accountPassword)
		r.Get("/api/me/orgs", w.apiMyOrgs)
		r.Route("/api/orgs/{org}", w.adminRoutes)
		r.Route("/admin", w.consoleRoutes)
		r.Post("/lang", w.setLang)
	})
	for _, p := range w.providers {
		p.Mount(r)
	}
}

// headers sets what every page and API answer carries.
func (w *Web) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		secureHeaders(rw.Header())
		next.ServeHTTP(rw, r)
	})
}

// secureHeaders: no caching of personal pages, no referrer (reset and
// invitation links carry secrets in the query), no framing, no scripts.
// form-action allows http(s) targets because browsers apply it to the
// redirect that follows a form (POST /login → the IdP).
func secureHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP)
}

// pageCSP allows no script; the console's pages (consoleCSP) load
// /admin/console.js, a file of ours, and nothing else.
const (
	pageCSP    = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'"
	consoleCSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

func (w *Web) crossOriginDenied(rw http.ResponseWriter, r *http.Request) {
	w.log.Warn("web.cross_origin_refused", "path", r.URL.Path)
	if isAPI(r) {
		writeJSON(rw, http.StatusForbidden, apiError{Error: "cross-origin request refused"})
		return
	}
	w.render(rw, r, http.StatusForbidden, "message", page{Title: "Request refused",
		Error: "This form was sent from another site, so it was refused. Open the page on this site and try again."})
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// safeReturnTo accepts only a relative path on this site: "/x", never
// "//host", "/\host" or a URL with a scheme. Anything else is "".
func safeReturnTo(s string) string {
	if s == "" || len(s) > 1024 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	return s
}

// clientIP is the connection's peer address. X-Forwarded-For is not trusted:
// behind a proxy every client shares the proxy's bucket (see README).
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	if s, ok := w.session(r); ok {
		http.Redirect(rw, r, w.landing(r.Context(), s.OrgID, s.AccountID), http.StatusSeeOther)
		return
	}
	http.Redirect(rw, r, "/login", http.StatusSeeOther)
}
