package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// page is what every template may show; each uses the fields it needs.
type page struct {
	Title string
	Error string
	// ErrorAt, when set, names the field or form Error belongs to: the page
	// shows it there instead of at the top.
	ErrorAt string
	Notice  string
	// Link and LinkText end a message page with where to go next.
	Link, LinkText string

	Identifier string
	Email      string
	OrgID      string
	OrgName    string
	ReturnTo   string

	Connections []store.Connection
	// Admin shows the account page's SSO section; SSOConnectionID marks the enabled connection.
	Admin           bool
	SSOConnectionID string

	// Action and Token: a set-password form (reset or invitation).
	Action string
	Token  string

	GivenName, FamilyName string

	ConnectionName string
	Identity       sso.Identity
	Warnings       []string

	MinPassword int
	MaxEmail    int

	// WrongPassword adds the "never set a password?" hint to the password form.
	WrongPassword bool
	// SupportEmail or SupportURL: how to reach support (Options.SupportContact).
	SupportEmail, SupportURL string

	// Lang is the page's language (langOf); Nav, on the console's pages,
	// the navigation item of the page, and Console what they show.
	Lang    string
	Nav     string
	Console *console
	// Self is the page's address, where the language switcher comes back.
	Self string
	// Switch is the org switcher (console_switch.go): the orgs the person
	// administers by company, when there are several.
	Switch []orgGroup
}

type pages struct{ byName map[string]*template.Template }

var pageNames = []string{"login", "password", "choose", "message", "forgot", "setpassword", "account", "logout", "ssotest", "locked", "username",
	"admin_users", "admin_user", "admin_email", "admin_remove", "admin_new", "admin_added", "admin_bulk", "admin_settings", "admin_provisioning",
	"admin_sso", "admin_sso_new", "admin_sso_guide", "admin_sso_enable", "admin_sso_disable", "admin_token_revoke",
	"admin_scimlog", "admin_signins", "admin_orgs", "admin_download"}

// funcs are the templates' helpers: t translates (and formats), label
// names a status, user type, subscription or reports role, number and
// when format for the language.
var funcs = template.FuncMap{
	"t":             tr,
	"label":         func(lang string, v any) string { return tr(lang, exportLabels[fmt.Sprint(v)]) },
	"number":        number,
	"when":          when,
	"eqs":           func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	"list":          func(vs ...string) []string { return vs },
	"userTypes":     func() []store.UserType { return userTypes },
	"subscriptions": func() []store.Subscription { return subscriptions },
	"reportsRoles":  func() []store.ReportsRole { return reportsRoles },
	"statuses":      func() []store.Status { return statuses },
	"fieldOf":       fieldOf,
}

func mustPages() *pages {
	ps := &pages{byName: map[string]*template.Template{}}
	for _, n := range pageNames {
		ps.byName[n] = template.Must(template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return ps
}

// render writes a page; a template error (a bug) becomes a plain 500.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.MinPassword, p.MaxEmail = store.MinPasswordLength, store.MaxEmailLength
	if p.Lang == "" {
		p.Lang = langOf(r)
	}
	// The handlers write English; the catalogue has the fixed sentences.
	p.Title, p.Error, p.Notice, p.LinkText = tr(p.Lang, p.Title), trRule(p.Lang, tr(p.Lang, p.Error)), tr(p.Lang, p.Notice), tr(p.Lang, p.LinkText)
	if p.Self == "" {
		p.Self = r.URL.RequestURI()
		if r.Method != http.MethodGet {
			p.Self = ""
		}
	}
	t, ok := w.pages.byName[name]
	var buf bytes.Buffer
	err := fmt.Errorf("no template %q", name)
	if ok {
		err = t.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		w.log.Error("web.template_error", "err", err, "page", name, "path", r.URL.Path)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	secureHeaders(rw.Header()) // also on pages answered from the providers' routes
	if p.Console != nil {
		csp := consoleCSP
		if p.Console.SSO != nil && p.Console.SSO.TestForms {
			csp = consoleTestCSP
		}
		rw.Header().Set("Content-Security-Policy", csp)
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(code)
	_, _ = buf.WriteTo(rw)
}

// fail renders a store error on a page of name, keeping p's fields. Internal
// errors are logged here, once, and shown as a generic sentence.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, name string, p page, err error) {
	code, msg, _ := errorStatus(err)
	if errors.Is(err, store.ErrBusy) { // a sign-in flood: answered before any hashing
		rw.Header().Set("Retry-After", "1")
		w.log.Warn("web.busy", "path", r.URL.Path)
	} else if retryLater(rw, err) { // the database is down or recovering: msg says so
		w.log.Warn("web.unavailable", "err", err, "path", r.URL.Path, "request_id", rw.Header().Get("X-Request-Id"))
	} else if code >= 500 && !errors.Is(err, context.Canceled) {
		w.log.Error("web.error", "err", err, "path", r.URL.Path, "request_id", rw.Header().Get("X-Request-Id"))
		msg = "Something went wrong on our side. Try again in a moment."
	} else if code == http.StatusNotFound {
		msg = "Not found."
	}
	p.Error = sentence(msg)
	w.render(rw, r, code, name, p)
}

// sentence capitalizes the first letter and ends with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if c := b[len(b)-1]; c != '.' && c != '!' && c != '?' {
		b = append(b, '.')
	}
	return string(b)
}
