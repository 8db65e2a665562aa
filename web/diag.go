package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/store"
)

// The SCIM request log and the sign-in diagnostics (issue 10): the same
// store calls behind the JSON API (GET /api/orgs/{org}/scim-requests and
// /sign-ins) and the console pages (/admin/provisioning/log, /admin/sign-ins),
// with the same filters in the query string.

// outcomeWords says each sign-in outcome in words, with what to change.
var outcomeWords = map[string]string{
	store.OutcomeSuccess:         "Signed in.",
	store.OutcomeBadSignature:    "The identity provider's answer had a bad or missing signature: check that the connection has the IdP's current signing certificate (metadata).",
	store.OutcomeUnknownCert:     "The answer was signed with a certificate the connection does not know, or one that expired: update the IdP's metadata.",
	store.OutcomeWrongAudience:   "The answer was meant for another service (wrong audience, recipient or destination): check the entity ID and ACS URL at the IdP.",
	store.OutcomeExpired:         "The answer had expired or was not yet valid: check the clocks, and try again.",
	store.OutcomeReplayed:        "The same answer was used twice (replayed): start the sign-in again.",
	store.OutcomeUnsolicited:     "The answer was not asked for by idbridge (IdP-initiated sign-in is off for this connection): start from the sign-in page.",
	store.OutcomeUnknownRequest:  "The answer belongs to no sign-in started here, or to one already used or expired (a replayed answer): start again from the sign-in page.",
	store.OutcomeOtherBrowser:    "The sign-in was started in another browser: finish it in the browser where it started.",
	store.OutcomeStateMismatch:   "The answer did not match the request (state, nonce, PKCE or issuer): check the connection's issuer, and start again.",
	store.OutcomeIdPError:        "The identity provider answered with an error of its own: see the detail, and the IdP's sign-in logs.",
	store.OutcomeEmailMissing:    "The identity provider sent no email: map the user's email into the answer.",
	store.OutcomeEmailUnverified: "The identity provider did not mark the email as verified.",
	store.OutcomeEmailOutside:    "The email is not in one of the organization's verified domains.",
	store.OutcomeNoMember:        "No member of the organization has this email, and just-in-time creation is off: add the person first.",
	store.OutcomeMemberDisabled:  "The member is disabled in this organization.",
	store.OutcomeSSOOff:          "SSO is off for this organization, or the connection is not the enabled one.",
	store.OutcomeInvalidResponse: "The identity provider's answer could not be read: check the connection's settings.",
	store.OutcomeInternal:        "The sign-in failed on our side: try again.",
}

// logQuery reads the filters of both logs from the query string.
func logQuery(q url.Values) (store.LogQuery, error) {
	var lq store.LogQuery
	switch s := strings.ToLower(q.Get("status")); s {
	case "":
	case "2xx", "4xx", "5xx":
		lq.StatusClass = int(s[0] - '0')
	default:
		return lq, &store.InvalidError{Field: "status", Detail: "use 2xx, 4xx or 5xx"}
	}
	lq.Method, lq.User = q.Get("method"), strings.TrimSpace(q.Get("user"))
	lq.Outcome, lq.Email = q.Get("outcome"), strings.TrimSpace(q.Get("email"))
	lq.Failed = q.Get("failed") == "true"
	var err error
	if lq.Since, err = logTime(q, "since", false); err != nil {
		return lq, err
	}
	if lq.Until, err = logTime(q, "until", true); err != nil {
		return lq, err
	}
	if lq.Before, err = store.ParseLogCursor(q.Get("cursor")); err != nil {
		return lq, err
	}
	if s := q.Get("limit"); s != "" {
		if lq.Limit, err = strconv.Atoi(s); err != nil || lq.Limit < 1 || lq.Limit > store.MaxPageSize {
			return lq, &store.InvalidError{Field: "limit", Detail: "use a number from 1 to " + strconv.Itoa(store.MaxPageSize)}
		}
	}
	return lq, nil
}

// logTime reads a time as RFC 3339 or a date (UTC); a date as the end of a
// period includes that day.
func logTime(q url.Values, name string, end bool) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, &store.InvalidError{Field: name, Detail: "use a date like 2026-03-01 or an RFC 3339 time"}
	}
	if end {
		t = t.Add(24 * time.Hour)
	}
	return t, nil
}

func (w *Web) apiSCIMRequests(rw http.ResponseWriter, r *http.Request) {
	q, err := logQuery(r.URL.Query())
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	rs, next, err := w.st.ListSCIMRequests(r.Context(), chi.URLParam(r, "org"), q)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	if rs == nil {
		rs = []store.SCIMRequest{}
	}
	writeJSON(rw, http.StatusOK, struct {
		Requests []store.SCIMRequest `json:"requests"`
		Next     string              `json:"next,omitempty"`
	}{rs, next})
}

func (w *Web) apiSCIMRequest(rw http.ResponseWriter, r *http.Request) {
	rec, err := w.st.GetSCIMRequest(r.Context(), chi.URLParam(r, "org"), chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, rec)
}

// signInAttemptJSON is an attempt with its outcome in words.
type signInAttemptJSON struct {
	store.SignInAttempt
	OutcomeText string `json:"outcomeText"`
}

func (w *Web) apiSignIns(rw http.ResponseWriter, r *http.Request) {
	q, err := logQuery(r.URL.Query())
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	as, next, err := w.st.ListSignInAttempts(r.Context(), chi.URLParam(r, "org"), q)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	out := make([]signInAttemptJSON, len(as))
	for i, a := range as {
		out[i] = signInAttemptJSON{a, outcomeWords[a.Outcome]}
	}
	writeJSON(rw, http.StatusOK, struct {
		SignIns []signInAttemptJSON `json:"signIns"`
		Next    string              `json:"next,omitempty"`
	}{out, next})
}

// --- Console ---

// diagPage is what the request log and sign-in pages show.
type diagPage struct {
	// The filters as asked.
	Status, Method, User, Outcome, Email, Since, Until string
	Failed                                             bool
	Requests                                           []scimRow
	SignIns                                            []signInRow
	Outcomes                                           []outcomeChoice
	NextURL                                            string
	// Detail is one request.
	Detail *scimRow
}

type scimRow struct {
	store.SCIMRequest
	When, Duration, URL string
}

type signInRow struct {
	store.SignInAttempt
	When, Words string
	Failed      bool
}

type outcomeChoice struct{ ID, Words string }

func (w *Web) consoleDiagRoutes(r chi.Router) {
	r.Get("/provisioning/log", w.requireConsole(w.consoleSCIMLog))
	r.Get("/provisioning/log/{id}", w.requireConsole(w.consoleSCIMLogEntry))
	r.Get("/sign-ins", w.requireConsole(w.consoleSignIns))
}

// diagFilters fills the page's filters from the query and returns the query.
func diagFilters(r *http.Request) (*diagPage, store.LogQuery, error) {
	v := r.URL.Query()
	d := &diagPage{Status: v.Get("status"), Method: strings.ToUpper(v.Get("method")), User: v.Get("user"),
		Outcome: v.Get("outcome"), Email: v.Get("email"), Since: v.Get("since"), Until: v.Get("until"), Failed: v.Get("failed") == "true"}
	q, err := logQuery(v)
	return d, q, err
}

// nextURL is the page's address with the cursor of the next page.
func nextURL(r *http.Request, next string) string {
	if next == "" {
		return ""
	}
	v := r.URL.Query()
	v.Set("cursor", next)
	return r.URL.Path + "?" + v.Encode()
}

func (w *Web) consoleSCIMLog(rw http.ResponseWriter, r *http.Request, s store.Session) {
	lang := langOf(r)
	d, q, err := diagFilters(r)
	if err == nil {
		var rs []store.SCIMRequest
		var next string
		rs, next, err = w.st.ListSCIMRequests(r.Context(), s.OrgID, q)
		for _, x := range rs {
			d.Requests = append(d.Requests, scimRowOf(lang, x))
		}
		d.NextURL = nextURL(r, next)
	}
	c := console{Diag: d}
	if err != nil {
		_, c.Error = w.consoleError(r, err)
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_scimlog", "provisioning", "SCIM request log", c)
}

func scimRowOf(lang string, x store.SCIMRequest) scimRow {
	return scimRow{SCIMRequest: x, When: when(lang, x.At), Duration: number(lang, int(x.DurationMicros/1000)) + " ms",
		URL: "/admin/provisioning/log/" + strconv.FormatInt(x.Seq, 10)}
}

func (w *Web) consoleSCIMLogEntry(rw http.ResponseWriter, r *http.Request, s store.Session) {
	x, err := w.st.GetSCIMRequest(r.Context(), s.OrgID, chi.URLParam(r, "id"))
	if err != nil {
		code, msg := w.consoleError(r, err)
		if code == http.StatusNotFound {
			msg = tr(langOf(r), "This request is not in your organization's log (any more).")
		}
		w.renderConsole(rw, r, code, "message", "provisioning", "SCIM request log", console{Error: msg})
		return
	}
	row := scimRowOf(langOf(r), x)
	w.renderConsole(rw, r, http.StatusOK, "admin_scimlog", "provisioning", "SCIM request", console{Diag: &diagPage{Detail: &row}})
}

func (w *Web) consoleSignIns(rw http.ResponseWriter, r *http.Request, s store.Session) {
	lang := langOf(r)
	d, q, err := diagFilters(r)
	for _, o := range store.Outcomes {
		d.Outcomes = append(d.Outcomes, outcomeChoice{o, tr(lang, outcomeWords[o])})
	}
	if err == nil {
		var as []store.SignInAttempt
		var next string
		as, next, err = w.st.ListSignInAttempts(r.Context(), s.OrgID, q)
		for _, a := range as {
			d.SignIns = append(d.SignIns, signInRow{SignInAttempt: a, When: when(lang, a.At), Words: tr(lang, outcomeWords[a.Outcome]),
				Failed: a.Outcome != store.OutcomeSuccess})
		}
		d.NextURL = nextURL(r, next)
	}
	c := console{Diag: d}
	if err != nil {
		_, c.Error = w.consoleError(r, err)
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_signins", "sign-ins", "Sign-ins", c)
}
