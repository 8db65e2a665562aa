package web

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/store"
)

// The admin console (issue 9): server-rendered pages over the same calls as
// the users API (userDetails, addUser, updateUser, changeEmail, bulkUpdate,
// listQuery), for the enabled system admins of the session's org. Every
// form works without JavaScript; console.js only adds the page's "select
// all" checkbox and Escape on the details page.

//go:embed console.js
var consoleJS []byte

// consolePageSize is the number of users on a page of the list.
const consolePageSize = 50

// console is what the console's pages show; each uses its part.
type console struct {
	// Users is the number of users of the org, for the navigation.
	Users int
	// Self is the URL of this page (the language switcher comes back to it).
	Self string
	// Error and Notice are shown at the top of the page.
	Error, Notice string

	// The list.
	Rows                       []userRow
	Total                      int
	Q, Status, Type, Sub, Sort string
	Desc                       bool
	Cols                       []column
	NextURL, FirstURL          string
	ExportURL                  string
	// DownloadURL is the download's confirmation page (without JavaScript);
	// Download its question.
	DownloadURL, Download string
	Filtered              bool

	// The details, with a refusal next to its field.
	User       userDetailsJSON
	Back       string
	FieldError string
	Field      string

	// Add user: the form's values; Created once added.
	New     newUserJSON
	Created *createdUserJSON

	// Bulk: the selection, and its report.
	IDs     []string
	All     bool
	Count   int
	Report  *bulkJSON
	Refused []bulkRefusal
	Job     *bulkJobPage

	// Settings.
	Org     store.Org
	SCIMURL string
	// NewEmail is the email being confirmed.
	NewEmail string

	// SSO is the Single sign-on and Provisioning pages' part (console_sso.go).
	SSO *ssoPage
	// Diag is the SCIM request log's and the sign-ins' part (diag.go).
	Diag *diagPage
}

type userRow struct {
	userJSON
	LastSignIn   string
	Invite       string // "", "send" or "resend"
	DetailsURL   string
	InviteReturn string
}

// column is a sortable column header.
type column struct {
	Sort, Label string
	// AriaSort is ascending, descending, or "" when the list is not sorted by it.
	AriaSort string
	URL      string
}

type bulkRefusal struct {
	Name, Email, Error string
	Rule               int
}

var (
	userTypes     = []store.UserType{store.UserTypeUser, store.UserTypeSystemAdmin}
	subscriptions = []store.Subscription{store.SubscriptionNone, store.SubscriptionContributor, store.SubscriptionProfessional, store.SubscriptionSupervision}
	reportsRoles  = []store.ReportsRole{store.ReportsNoAccess, store.ReportsViewer, store.ReportsEditor}
	statuses      = []store.Status{store.StatusActive, store.StatusPending, store.StatusInactive, store.StatusDisabled}
)

func (w *Web) consoleRoutes(r chi.Router) {
	r.Get("/console.js", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-cache")
		_, _ = rw.Write(consoleJS)
	})
	r.Get("/", w.requireSession(w.consoleHome))
	r.Post("/switch", w.requireSession(w.consoleSwitch))
	r.Get("/users", w.requireConsole(w.consoleUsers))
	r.Get("/users/new", w.requireConsole(w.consoleNewUser))
	r.Post("/users/new", w.requireConsole(w.consoleAddUser))
	r.Get("/users/bulk", w.requireConsole(w.consoleBulkForm))
	r.Get("/users/download", w.requireConsole(w.consoleDownload))
	r.Post("/users/bulk", w.requireConsole(w.consoleBulk))
	r.Get("/users/bulk/jobs/{id}", w.requireConsole(w.consoleBulkJob))
	r.Get("/users/{id}", w.requireConsole(w.consoleUser))
	r.Post("/users/{id}", w.requireConsole(w.consoleUpdateUser))
	r.Post("/users/{id}/invitation", w.requireConsole(w.consoleInvite))
	r.Post("/users/{id}/email", w.requireConsole(w.consoleEmail))
	r.Get("/users/{id}/remove", w.requireConsole(w.consoleRemoveConfirm))
	r.Post("/users/{id}/remove", w.requireConsole(w.consoleRemove))
	r.Get("/settings", w.requireConsole(w.consoleSettings))
	r.Post("/settings", w.requireConsole(w.consoleSaveSettings))
	r.Post("/settings/test", w.requireConsole(w.consoleTestMessage))
	w.consoleSSORoutes(r)
	w.consoleDiagRoutes(r)
}

// requireConsole runs a console page for an enabled system admin of the
// session's org; others see their account page, people signed out go to
// /login and come back.
func (w *Web) requireConsole(h func(http.ResponseWriter, *http.Request, store.Session)) http.HandlerFunc {
	return w.requireSession(func(rw http.ResponseWriter, r *http.Request, s store.Session) {
		admin, err := w.isAdmin(r.Context(), s)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			w.fail(rw, r, "message", page{Title: "Users"}, err)
			return
		}
		if !admin {
			http.Redirect(rw, r, "/account", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !w.form(rw, r) {
			return
		}
		h(rw, asAdmin(r, s), s)
	})
}

// landing is where a sign-in ends without a return path: the console for
// an enabled system admin of the org, the account page for anyone else.
func (w *Web) landing(ctx context.Context, orgID, accountID string) string {
	if ok, _ := w.isAdmin(ctx, store.Session{OrgID: orgID, AccountID: accountID}); ok {
		return "/admin"
	}
	return "/account"
}

// renderConsole fills the navigation's count and shows a console page.
func (w *Web) renderConsole(rw http.ResponseWriter, r *http.Request, code int, name, nav, title string, c console) {
	s, _ := w.session(r)
	p := page{Lang: langOf(r), Nav: nav, OrgID: s.OrgID}
	p.Title = tr(p.Lang, title)
	if org, err := w.st.GetOrg(r.Context(), s.OrgID); err == nil {
		p.OrgName = org.Name
	}
	if _, n, err := w.st.ListMembers(r.Context(), s.OrgID, store.MemberQuery{Limit: 1}); err == nil {
		c.Users = n
	}
	if g, err := w.switchGroups(r, s); err == nil {
		p.Switch = g
	}
	if c.Self == "" {
		c.Self = r.URL.RequestURI()
	}
	p.Error, p.Notice = c.Error, c.Notice
	// The rules' refusals, from the store in English (i18n_rules.go).
	for _, f := range []*string{&c.FieldError, &c.User.EmailReason, &c.User.InviteReason, &c.User.RemoveReason, &c.User.NameReason} {
		*f = trRule(p.Lang, *f)
	}
	for i := range c.Refused {
		c.Refused[i].Error = trRule(p.Lang, c.Refused[i].Error)
	}
	if c.Created != nil {
		c.Created.InvitationReason = trRule(p.Lang, c.Created.InvitationReason)
	}
	p.Console = &c
	w.render(rw, r, code, name, p)
}

// consoleFail shows an error of the store on a console page, in the
// page's words (the refusal sentences are the store's, in English).
func (w *Web) consoleFail(rw http.ResponseWriter, r *http.Request, err error) {
	code, msg := w.consoleError(r, err)
	w.renderConsole(rw, r, code, "message", "users", "Users", console{Error: msg})
}

// consoleError is the status and sentence of an error on a console page;
// internal errors are logged and get a generic sentence.
func (w *Web) consoleError(r *http.Request, err error) (int, string) {
	if code, e, ok := userError(err); ok {
		return code, tr(langOf(r), sentence(e.Error))
	}
	code, msg, _ := errorStatus(err)
	if code >= 500 && !errors.Is(err, context.Canceled) {
		w.log.Error("web.console_error", "err", err, "path", r.URL.Path)
		msg = tr(langOf(r), "Something went wrong on our side. Try again in a moment.")
	} else if code == http.StatusNotFound {
		msg = tr(langOf(r), "This user is not in your organization (any more).")
	}
	return code, sentence(msg)
}

// listURL is the Users page with v as its query.
func listURL(v url.Values) string {
	if e := v.Encode(); e != "" {
		return "/admin/users?" + e
	}
	return "/admin/users"
}

// cleanList keeps only the list's non-empty parameters.
func cleanList(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range listParams {
		for _, s := range v[k] {
			if s != "" {
				out.Add(k, s)
			}
		}
	}
	return out
}

func (w *Web) consoleUsers(rw http.ResponseWriter, r *http.Request, s store.Session) {
	lang := langOf(r)
	v := r.URL.Query()
	notice := v.Get("done")
	v.Del("done")
	q, err := listQuery(v)
	var c console
	if err != nil {
		code, msg := w.consoleError(r, err)
		c.Error = msg
		w.renderConsole(rw, r, code, "admin_users", "users", "Users", c)
		return
	}
	q.Limit = consolePageSize
	pg, err := w.st.ListMembersPage(r.Context(), s.OrgID, q, v.Get("cursor"))
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	ids := make([]string, len(pg.Members))
	for i, m := range pg.Members {
		ids[i] = m.Account.ID
	}
	x, err := w.st.GetMemberExtras(r.Context(), s.OrgID, ids)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	clean := cleanList(v)
	self := listURL(clean)
	c = console{Total: pg.Total, Q: q.Search, Status: v.Get("status"), Type: v.Get("type"), Sub: v.Get("subscription"),
		Sort: string(q.Sort), Desc: q.Desc, Self: self, Filtered: q.Search != "" || len(q.Statuses)+len(q.UserTypes)+len(q.Subscription) > 0}
	for _, m := range pg.Members {
		row := userRow{userJSON: userView(m), DetailsURL: "/admin/users/" + url.PathEscape(m.Account.ID) + "?back=" + url.QueryEscape(self), InviteReturn: self}
		if t, ok := x.LastSignIn[m.Account.ID]; ok {
			row.LastSignIn = when(lang, t)
		}
		if store.CanInvite(org, m.Account, m.Membership) == nil {
			row.Invite = "send"
			if m.Membership.InvitedAt != nil {
				row.Invite = "resend"
			}
		}
		c.Rows = append(c.Rows, row)
	}
	filters := url.Values{}
	for k, vs := range clean {
		if k != "cursor" && k != "sort" && k != "order" {
			filters[k] = vs
		}
	}
	for _, col := range []struct{ sort, label string }{{"name", "Name"}, {"email", "Email"}, {"status", "Status"},
		{"type", "User type"}, {"subscription", "Subscription"}, {"lastSignIn", "Last sign-in"}} {
		h := column{Sort: col.sort, Label: col.label}
		u := url.Values{}
		for k, vs := range filters {
			u[k] = vs
		}
		u.Set("sort", col.sort)
		if string(q.Sort) == col.sort {
			h.AriaSort = "ascending"
			if q.Desc {
				h.AriaSort = "descending"
			} else {
				u.Set("order", "desc")
			}
		}
		h.URL = listURL(u)
		c.Cols = append(c.Cols, h)
	}
	if pg.Next != "" {
		n := cleanList(v)
		n.Set("cursor", pg.Next)
		c.NextURL = listURL(n)
	}
	if v.Get("cursor") != "" {
		f := cleanList(v)
		f.Del("cursor")
		c.FirstURL = listURL(f)
	}
	e := exportQuery(v)
	c.ExportURL, c.DownloadURL = exportURLs(s.OrgID, e)
	c.Download = downloadQuestion(lang, pg.Total, org.Name)
	if n, ok := consoleNotices[notice]; ok {
		c.Notice = tr(lang, n)
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_users", "users", "Users", c)
}

// exportQuery is the list's search, filters and sort, without its paging.
func exportQuery(v url.Values) url.Values {
	e := cleanList(v)
	e.Del("cursor")
	e.Del("limit")
	return e
}

// exportURLs are the .xlsx of the list with the search, filters and sort
// q, and its confirmation page.
func exportURLs(orgID string, q url.Values) (export, confirm string) {
	export, confirm = "/api/orgs/"+url.PathEscape(orgID)+"/users/export.xlsx", "/admin/users/download"
	if len(q) > 0 {
		export += "?" + q.Encode()
		confirm += "?" + q.Encode()
	}
	return export, confirm
}

// downloadQuestion asks to confirm the download of n users.
func downloadQuestion(lang string, n int, org string) string {
	name := org + " Users.xlsx"
	if n == 1 {
		return tr(lang, "Download 1 user as “%s”?", name)
	}
	return tr(lang, "Download %s users as “%s”?", number(lang, n), name)
}

// consoleDownload confirms the download of the list (the page without
// JavaScript; console.js shows the same question in a modal).
func (w *Web) consoleDownload(rw http.ResponseWriter, r *http.Request, s store.Session) {
	v := r.URL.Query()
	q, err := listQuery(v)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	q.Limit = 1
	_, n, err := w.st.ListMembers(r.Context(), s.OrgID, q)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	e := exportQuery(v)
	c := console{Total: n, Back: listURL(e), Download: downloadQuestion(langOf(r), n, org.Name)}
	c.ExportURL, _ = exportURLs(s.OrgID, e)
	w.renderConsole(rw, r, http.StatusOK, "admin_download", "users", "Download", c)
}

// consoleNotices are the sentences a redirect back to the list shows.
var consoleNotices = map[string]string{
	"invited":      "The invitation is sent.",
	"removed":      "The user is removed from the organization.",
	"userType":     "The user type is saved.",
	"subscription": "The subscription is saved.",
	"reportsRole":  "The reports role is saved.",
	"disabled":     "Saved.",
	"email":        "The email is changed; a notice went to the old address.",
}

// withDone adds the notice done to a console path.
func withDone(path, done string) string {
	path, frag, _ := strings.Cut(path, "#")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if frag != "" {
		return path + sep + "done=" + done + "#" + frag
	}
	return path + sep + "done=" + done
}

// backTo is a safe return path into the console, else the Users page.
func backTo(s string) string {
	if b := safeReturnTo(s); strings.HasPrefix(b, "/admin/") {
		return b
	}
	return "/admin/users"
}

func (w *Web) consoleUser(rw http.ResponseWriter, r *http.Request, s store.Session) {
	w.showUser(rw, r, http.StatusOK, chi.URLParam(r, "id"), "", "")
}

// showUser renders the details of a user, with a refusal next to field.
func (w *Web) showUser(rw http.ResponseWriter, r *http.Request, code int, id, field, msg string) {
	d, err := w.userDetails(r.Context(), actorOf(r), actorOf(r).OrgID, id)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	back := backTo(r.FormValue("back"))
	if !strings.Contains(back, "#") {
		back += "#u-" + id
	}
	self := "/admin/users/" + url.PathEscape(id) + "?back=" + url.QueryEscape(strings.SplitN(back, "#", 2)[0])
	c := console{User: d, Back: back, Field: field, FieldError: msg, Self: self}
	if n, ok := consoleNotices[r.URL.Query().Get("done")]; ok && msg == "" {
		c.Notice = tr(langOf(r), n)
	}
	title := d.Name
	if title == "" {
		title = d.Email
	}
	w.renderConsole(rw, r, code, "admin_user", "users", title, c)
}

// consoleUpdateUser saves one field of the details: user type,
// subscription, reports role, or disabled.
func (w *Web) consoleUpdateUser(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id, field, value := chi.URLParam(r, "id"), r.PostFormValue("field"), r.PostFormValue("value")
	var in rightsJSON
	var disabled *bool
	switch field {
	case "userType":
		t := store.UserType(value)
		in.UserType = &t
	case "subscription":
		v := store.Subscription(value)
		in.Subscription = &v
	case "reportsRole":
		v := store.ReportsRole(value)
		in.ReportsRole = &v
	case "disabled":
		b := value == "true"
		disabled = &b
	default:
		w.showUser(rw, r, http.StatusBadRequest, id, "", tr(langOf(r), "The form could not be read. Go back and try again."))
		return
	}
	if _, err := w.updateUser(r.Context(), actorOf(r), s.OrgID, id, in, disabled); err != nil {
		code, msg := w.consoleError(r, err)
		if code == http.StatusNotFound {
			w.consoleFail(rw, r, err)
			return
		}
		w.showUser(rw, r, code, id, field, msg)
		return
	}
	http.Redirect(rw, r, userURL(id, r.PostFormValue("back"), field), http.StatusSeeOther)
}

// userURL is the details page of a user, back to the list at back, with a notice.
func userURL(id, back, done string) string {
	b, _, _ := strings.Cut(backTo(back), "#")
	return withDone("/admin/users/"+url.PathEscape(id)+"?back="+url.QueryEscape(b), done)
}

// consoleInvite sends or resends an invitation, from the list or the details.
func (w *Web) consoleInvite(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id := chi.URLParam(r, "id")
	back := backTo(r.PostFormValue("back"))
	if _, err := w.st.Invite(r.Context(), actorOf(r), s.OrgID, id); err != nil {
		code, msg := w.consoleError(r, err)
		w.showUser(rw, r, code, id, "invite", msg)
		return
	}
	http.Redirect(rw, r, withDone(back, "invited"), http.StatusSeeOther)
}

// consoleEmail is the email change: the new address, then a confirmation
// step that says what changes; confirmed, the change (rules 1 to 5).
func (w *Web) consoleEmail(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id, email := chi.URLParam(r, "id"), strings.TrimSpace(r.PostFormValue("email"))
	confirm := r.PostFormValue("confirm") == "1"
	if !confirm && email != "" {
		if p := emailProblem(email); p != "" {
			w.showUser(rw, r, http.StatusBadRequest, id, "email", p)
			return
		}
		d, err := w.userDetails(r.Context(), actorOf(r), s.OrgID, id)
		if err != nil {
			w.consoleFail(rw, r, err)
			return
		}
		if !d.CanEditEmail {
			w.showUser(rw, r, http.StatusConflict, id, "email", d.EmailReason)
			return
		}
		w.renderConsole(rw, r, http.StatusOK, "admin_email", "users", "Change the email", console{User: d, NewEmail: email, Back: backTo(r.PostFormValue("back"))})
		return
	}
	if _, err := w.changeEmail(r.Context(), actorOf(r), s.OrgID, id, email, confirm); err != nil {
		code, msg := w.consoleError(r, err)
		w.showUser(rw, r, code, id, "email", msg)
		return
	}
	http.Redirect(rw, r, userURL(id, r.PostFormValue("back"), "email"), http.StatusSeeOther)
}

func (w *Web) consoleRemoveConfirm(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id := chi.URLParam(r, "id")
	d, err := w.userDetails(r.Context(), actorOf(r), s.OrgID, id)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	if !d.CanRemove {
		w.showUser(rw, r, http.StatusConflict, id, "remove", d.RemoveReason)
		return
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_remove", "users", "Remove user", console{User: d, Back: backTo(r.FormValue("back"))})
}

func (w *Web) consoleRemove(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id := chi.URLParam(r, "id")
	if err := w.st.RemoveMember(r.Context(), actorOf(r), s.OrgID, id); err != nil {
		code, msg := w.consoleError(r, err)
		if code == http.StatusNotFound {
			w.consoleFail(rw, r, err)
			return
		}
		w.showUser(rw, r, code, id, "remove", msg)
		return
	}
	http.Redirect(rw, r, withDone(backTo(r.PostFormValue("back")), "removed"), http.StatusSeeOther)
}

func (w *Web) consoleNewUser(rw http.ResponseWriter, r *http.Request, _ store.Session) {
	w.renderConsole(rw, r, http.StatusOK, "admin_new", "users", "Add user", console{})
}

// consoleAddUser is "Add user": name and email ("Next: access rights"),
// then the access rights ("Send invitation"), then what happened.
func (w *Web) consoleAddUser(rw http.ResponseWriter, r *http.Request, s store.Session) {
	in := newUserJSON{Email: strings.TrimSpace(r.PostFormValue("email")), GivenName: strings.TrimSpace(r.PostFormValue("given")),
		FamilyName: strings.TrimSpace(r.PostFormValue("family"))}
	step := r.PostFormValue("step")
	c := console{New: in}
	if step == "rights" || step == "send" {
		if p := emailProblem(in.Email); p != "" || in.Email == "" {
			if p == "" {
				p = "Enter the new user's email address."
			}
			c.Field, c.FieldError = "email", tr(langOf(r), p)
			w.renderConsole(rw, r, http.StatusBadRequest, "admin_new", "users", "Add user", c)
			return
		}
	}
	if step != "send" {
		w.renderConsole(rw, r, http.StatusOK, "admin_new", "users", "Add user", c)
		return
	}
	t, sub, role := store.UserType(r.PostFormValue("userType")), store.Subscription(r.PostFormValue("subscription")), store.ReportsRole(r.PostFormValue("reportsRole"))
	in.UserType, in.Subscription, in.ReportsRole = &t, &sub, &role
	c.New = in
	out, err := w.addUser(r.Context(), actorOf(r), s.OrgID, in)
	if err != nil {
		code, msg := w.consoleError(r, err)
		c.Field, c.FieldError = "rights", msg
		if store.RuleOf(err) == store.RuleEmailSyntax || code == http.StatusConflict && store.RuleOf(err) == 0 {
			c.Field = "email"
		}
		w.renderConsole(rw, r, code, "admin_new", "users", "Add user", c)
		return
	}
	c.Created = &out
	w.renderConsole(rw, r, http.StatusCreated, "admin_added", "users", "User added", c)
}

// bulkSelection reads the selection of a bulk change: ids, or "all" with
// the list's search and filters.
func bulkSelection(v url.Values) (bulkInJSON, error) {
	in := bulkInJSON{All: v.Get("all") == "1"}
	if in.All {
		in.Q, in.Status, in.Type, in.Subscription = v.Get("q"), values(v, "status"), values(v, "type"), values(v, "subscription")
		_, err := memberFilter(in.Q, in.Status, in.Type, in.Subscription)
		return in, err
	}
	for _, id := range v["id"] {
		if id != "" && !slices.Contains(in.IDs, id) {
			in.IDs = append(in.IDs, id)
		}
	}
	if len(in.IDs) == 0 {
		return in, inputError("Select at least one user, or all the users the search finds.")
	}
	if len(in.IDs) > maxBulkIDs {
		return in, inputError("Select at most 1000 users, or all the users the search finds.")
	}
	return in, nil
}

func (w *Web) consoleBulkForm(rw http.ResponseWriter, r *http.Request, s store.Session) {
	in, err := bulkSelection(r.URL.Query())
	w.bulkPage(rw, r, s, in, err, nil)
}

// bulkPage shows the bulk form (and, after a change, its report).
func (w *Web) bulkPage(rw http.ResponseWriter, r *http.Request, s store.Session, in bulkInJSON, err error, report *bulkJSON) {
	c := console{IDs: in.IDs, All: in.All, Q: in.Q, Back: backTo(r.FormValue("back")), Report: report}
	if len(in.Status) > 0 {
		c.Status = in.Status[0]
	}
	if len(in.Type) > 0 {
		c.Type = in.Type[0]
	}
	if len(in.Subscription) > 0 {
		c.Sub = in.Subscription[0]
	}
	code := http.StatusOK
	if err != nil {
		code, c.FieldError = w.consoleError(r, err)
	} else {
		c.Count = len(in.IDs)
		if in.All {
			q, _ := memberFilter(in.Q, in.Status, in.Type, in.Subscription)
			q.Limit = 1
			_, n, err := w.st.ListMembers(r.Context(), s.OrgID, q)
			if err != nil {
				w.consoleFail(rw, r, err)
				return
			}
			c.Count = n
		}
	}
	if report != nil {
		for _, res := range report.Results {
			if res.OK {
				continue
			}
			ref := bulkRefusal{Error: sentence(res.Error), Rule: res.Rule}
			if m, err := w.st.GetMember(r.Context(), s.OrgID, res.ID); err == nil {
				u := userView(m)
				ref.Name, ref.Email = u.Name, u.Email
			} else {
				ref.Email = res.ID
			}
			c.Refused = append(c.Refused, ref)
		}
	}
	w.renderConsole(rw, r, code, "admin_bulk", "users", "Edit user types and subscriptions", c)
}

func (w *Web) consoleBulk(rw http.ResponseWriter, r *http.Request, s store.Session) {
	in, err := bulkSelection(r.PostForm)
	if err != nil {
		w.bulkPage(rw, r, s, in, err, nil)
		return
	}
	if v := r.PostFormValue("userType"); v != "" {
		t := store.UserType(v)
		in.Changes.UserType = &t
	}
	if v := r.PostFormValue("subscription_to"); v != "" {
		t := store.Subscription(v)
		in.Changes.Subscription = &t
	}
	if v := r.PostFormValue("reportsRole"); v != "" {
		t := store.ReportsRole(v)
		in.Changes.ReportsRole = &t
	}
	if in.Changes.empty() {
		w.bulkPage(rw, r, s, in, inputError("Choose at least one change: a user type, a subscription or a reports role."), nil)
		return
	}
	out, err := w.bulkUpdate(r.Context(), actorOf(r), s.OrgID, in)
	if err != nil {
		w.bulkPage(rw, r, s, in, err, nil)
		return
	}
	if out.Job != nil {
		http.Redirect(rw, r, "/admin/users/bulk/jobs/"+out.Job.ID+"?back="+url.QueryEscape(backTo(r.FormValue("back"))), http.StatusSeeOther)
		return
	}
	w.bulkPage(rw, r, s, in, nil, &out)
}

func (w *Web) consoleSettings(rw http.ResponseWriter, r *http.Request, s store.Session) {
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	c := console{Org: org}
	switch r.URL.Query().Get("done") {
	case "sender":
		c.Notice = tr(langOf(r), "The email sender is saved.")
	case "test":
		if m, err := w.st.GetMember(r.Context(), s.OrgID, s.AccountID); err == nil {
			c.Notice = tr(langOf(r), "A test message is on its way to %s. If it does not arrive in a few minutes, check the sender's address and its domain's mail settings.", m.Account.Email)
		}
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_settings", "settings", "Settings", c)
}

// consoleSaveSettings sets or clears the custom email sender (rule 16).
func (w *Web) consoleSaveSettings(rw http.ResponseWriter, r *http.Request, s store.Session) {
	name, email := strings.TrimSpace(r.PostFormValue("senderName")), strings.TrimSpace(r.PostFormValue("senderEmail"))
	if _, err := w.st.UpdateOrg(r.Context(), actorOf(r), s.OrgID, store.OrgSettings{SenderName: &name, SenderEmail: &email}); err != nil {
		code, msg := w.consoleError(r, err)
		cur, gerr := w.st.GetOrg(r.Context(), s.OrgID)
		if gerr != nil {
			w.consoleFail(rw, r, gerr)
			return
		}
		cur.SenderName, cur.SenderEmail = name, email
		w.renderConsole(rw, r, code, "admin_settings", "settings", "Settings", console{Org: cur, Field: "sender", FieldError: msg})
		return
	}
	http.Redirect(rw, r, "/admin/settings?done=sender", http.StatusSeeOther)
}

// consoleTestMessage sends the signed-in admin a test email from the org's
// sender (through the outbox, like every notification).
func (w *Web) consoleTestMessage(rw http.ResponseWriter, r *http.Request, s store.Session) {
	if _, err := w.st.SendTestMessage(r.Context(), actorOf(r), s.OrgID); err != nil {
		w.consoleFail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/admin/settings?done=test", http.StatusSeeOther)
}

// fieldForm is one field of the details with its list and save button.
type fieldForm struct {
	Lang, ID, Back, Name, Label, Error string
	Options                            []fieldOption
}

type fieldOption struct {
	Value, Label string
	Selected     bool
}

// fieldOf builds the form of a field of the details (template "field").
func fieldOf(lang string, c *console, name, label string, value any, options any) fieldForm {
	f := fieldForm{Lang: lang, ID: c.User.ID, Back: c.Back, Name: name, Label: label}
	if c.Field == name {
		f.Error = c.FieldError
	}
	var vals []string
	switch o := options.(type) {
	case []store.UserType:
		for _, v := range o {
			vals = append(vals, string(v))
		}
	case []store.Subscription:
		for _, v := range o {
			vals = append(vals, string(v))
		}
	case []store.ReportsRole:
		for _, v := range o {
			vals = append(vals, string(v))
		}
	}
	cur := fmt.Sprint(value)
	for _, v := range vals {
		f.Options = append(f.Options, fieldOption{Value: v, Label: tr(lang, exportLabels[v]), Selected: v == cur})
	}
	return f
}
