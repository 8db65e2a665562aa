package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/store"
)

// The Users page's JSON API (issue 9): an org's system admins list, read,
// add, invite, change and remove the org's users. Every change goes through
// the store with the admin as actor, so the account rules decide.

// maxBulkIDs bounds a bulk change by ids; "all" with filters covers more.
const maxBulkIDs = store.MaxPageSize

// maxSearch bounds the search text.
const maxSearch = 200

type userJSON struct {
	ID           string             `json:"id"` // the UID
	Email        string             `json:"email"`
	GivenName    string             `json:"givenName"`
	FamilyName   string             `json:"familyName"`
	Name         string             `json:"name"`
	Status       store.Status       `json:"status"`
	UserType     store.UserType     `json:"userType"`
	Subscription store.Subscription `json:"subscription"`
	ReportsRole  store.ReportsRole  `json:"reportsRole"`
	Disabled     bool               `json:"disabled"`
	AddedAt      time.Time          `json:"addedAt"`
	InvitedAt    *time.Time         `json:"invitedAt"`
	ActivatedAt  *time.Time         `json:"activatedAt"`
}

func userView(m store.Member) userJSON {
	return userJSON{ID: m.Account.ID, Email: m.Account.Email, GivenName: m.Account.GivenName, FamilyName: m.Account.FamilyName,
		Name: strings.TrimSpace(m.Account.GivenName + " " + m.Account.FamilyName), Status: m.Status(),
		UserType: m.Membership.UserType, Subscription: m.Membership.Subscription, ReportsRole: m.Membership.ReportsRole,
		Disabled: m.Membership.Disabled, AddedAt: m.Membership.CreatedAt, InvitedAt: m.Membership.InvitedAt, ActivatedAt: m.Account.ActivatedAt}
}

// userFail is apiFail for the user routes: an email refused by rule 2 is
// bad input (400); a taken email or membership gets a sentence.
func (w *Web) userFail(rw http.ResponseWriter, r *http.Request, err error) {
	if code, e, ok := userError(err); ok {
		writeJSON(rw, code, e)
		return
	}
	w.apiFail(rw, r, err)
}

// userError is the answer to the errors of adding a user or changing an
// email that the API and the console word their own way; ok is false for
// every other error (errorStatus's).
func userError(err error) (int, apiError, bool) {
	var ce *store.ConflictError
	var in inputError
	switch {
	case errors.As(err, &in):
		return http.StatusBadRequest, apiError{Error: string(in)}, true
	case store.RuleOf(err) == store.RuleEmailSyntax:
		return http.StatusBadRequest, apiError{Error: ruleDetail(err), Rule: int(store.RuleEmailSyntax)}, true
	case errors.As(err, &ce) && ce.Field == "membership":
		return http.StatusConflict, apiError{Error: "This person is already a user of this organization."}, true
	case errors.As(err, &ce) && ce.Field == "email":
		return http.StatusConflict, apiError{Error: "Another account already signs in with this email address."}, true
	}
	return 0, apiError{}, false
}

// inputError is a request the users' routes refuse before asking the store
// (400, the sentence as it is).
type inputError string

func (e inputError) Error() string { return string(e) }

func ruleDetail(err error) string {
	var re *store.RuleError
	if errors.As(err, &re) {
		return re.Detail
	}
	return err.Error()
}

func badRequest(rw http.ResponseWriter, format string, a ...any) {
	writeJSON(rw, http.StatusBadRequest, apiError{Error: fmt.Sprintf(format, a...)})
}

// memberFilter builds the search and filters of a list, an export or a bulk
// change; an unknown value is an *store.InvalidError.
func memberFilter(search string, statuses, types, subs []string) (store.MemberQuery, error) {
	q := store.MemberQuery{Search: strings.TrimSpace(search)}
	if len(q.Search) > maxSearch {
		return q, &store.InvalidError{Field: "q", Detail: fmt.Sprintf("the search is at most %d characters", maxSearch)}
	}
	for _, v := range statuses {
		if s := store.Status(v); !s.Valid() {
			return q, &store.InvalidError{Field: "status", Detail: fmt.Sprintf("%q is not one of active, pending, inactive, disabled", v)}
		} else if !slices.Contains(q.Statuses, s) {
			q.Statuses = append(q.Statuses, s)
		}
	}
	for _, v := range types {
		if t := store.UserType(v); !t.Valid() {
			return q, &store.InvalidError{Field: "type", Detail: fmt.Sprintf("%q is not one of system_admin, user", v)}
		} else if !slices.Contains(q.UserTypes, t) {
			q.UserTypes = append(q.UserTypes, t)
		}
	}
	for _, v := range subs {
		if s := store.Subscription(v); !s.Valid() {
			return q, &store.InvalidError{Field: "subscription", Detail: fmt.Sprintf("%q is not one of none, contributor, professional, supervision", v)}
		} else if !slices.Contains(q.Subscription, s) {
			q.Subscription = append(q.Subscription, s)
		}
	}
	return q, nil
}

// listParams are the query parameters of GET /users (and the export).
var listParams = []string{"q", "status", "type", "subscription", "sort", "order", "cursor", "limit"}

// values splits repeated and comma-separated values ("status=a&status=b", "status=a,b").
func values(v url.Values, key string) []string {
	var out []string
	for _, s := range v[key] {
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// ParseUserQuery reads the search, filters and sort of a user list from the
// parameters of GET /users (q, status, type, subscription, sort, order); an
// unknown parameter or value is an *store.InvalidError. The operator CLI
// uses it for its flags.
func ParseUserQuery(v url.Values) (store.MemberQuery, error) { return listQuery(v) }

// listQuery reads the search, filters and sort of a list request.
func listQuery(v url.Values) (store.MemberQuery, error) {
	for k := range v {
		if !slices.Contains(listParams, k) {
			return store.MemberQuery{}, &store.InvalidError{Field: k, Detail: "unknown query parameter (use " + strings.Join(listParams, ", ") + ")"}
		}
	}
	q, err := memberFilter(v.Get("q"), values(v, "status"), values(v, "type"), values(v, "subscription"))
	if err != nil {
		return q, err
	}
	q.Sort = store.MemberSort(v.Get("sort"))
	if !q.Sort.Valid() {
		sorts := make([]string, len(store.MemberSorts))
		for i, s := range store.MemberSorts {
			sorts[i] = string(s)
		}
		return q, &store.InvalidError{Field: "sort", Detail: fmt.Sprintf("%q is not one of %s", q.Sort, strings.Join(sorts, ", "))}
	}
	switch v.Get("order") {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		return q, &store.InvalidError{Field: "order", Detail: fmt.Sprintf("%q is not one of asc, desc", v.Get("order"))}
	}
	return q, nil
}

type userListJSON struct {
	Users      []userJSON `json:"users"`
	Total      int        `json:"total"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

func (w *Web) apiListUsers(rw http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := listQuery(v)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	q.Limit = 50
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxPageSize {
			badRequest(rw, "limit: %q is not a number from 1 to %d", s, store.MaxPageSize)
			return
		}
		q.Limit = n
	}
	p, err := w.st.ListMembersPage(r.Context(), chi.URLParam(r, "org"), q, v.Get("cursor"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	out := userListJSON{Users: make([]userJSON, len(p.Members)), Total: p.Total, NextCursor: p.Next}
	for i, m := range p.Members {
		out.Users[i] = userView(m)
	}
	writeJSON(rw, http.StatusOK, out)
}

type groupRoleJSON struct {
	ID          string          `json:"id"`
	DisplayName string          `json:"displayName"`
	Role        store.GroupRole `json:"role"`
}

type signInJSON struct {
	At             time.Time `json:"at"`
	Method         string    `json:"method"`
	ConnectionID   string    `json:"connectionId,omitempty"`
	ConnectionName string    `json:"connectionName,omitempty"`
}

// userDetailsJSON is the details side panel: the user, groups, activation
// history, last two sign-ins, and what the admin may do (with the reason
// and rule when not).
type userDetailsJSON struct {
	userJSON
	Groups       []groupRoleJSON `json:"groups"`
	SignIns      []signInJSON    `json:"signIns"`
	CanEditEmail bool            `json:"canEditEmail"`
	EmailReason  string          `json:"emailReason,omitempty"`
	EmailRule    int             `json:"emailRule,omitempty"`
	CanInvite    bool            `json:"canInvite"`
	InviteReason string          `json:"inviteReason,omitempty"`
	CanRemove    bool            `json:"canRemove"`
	RemoveReason string          `json:"removeReason,omitempty"`
	CanEditName  bool            `json:"canEditName"`
	NameReason   string          `json:"nameReason,omitempty"`
}

func (w *Web) apiGetUser(rw http.ResponseWriter, r *http.Request) {
	d, err := w.userDetails(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, d)
}

func (w *Web) userDetails(ctx context.Context, actor store.Actor, orgID, id string) (userDetailsJSON, error) {
	d, err := w.st.GetMemberDetails(ctx, orgID, id)
	if err != nil {
		return userDetailsJSON{}, err
	}
	org, err := w.st.GetOrg(ctx, orgID)
	if err != nil {
		return userDetailsJSON{}, err
	}
	out := userDetailsJSON{userJSON: userView(d.Member), Groups: make([]groupRoleJSON, len(d.Groups)), SignIns: make([]signInJSON, len(d.SignIns))}
	for i, g := range d.Groups {
		out.Groups[i] = groupRoleJSON{ID: g.ID, DisplayName: g.DisplayName, Role: d.GroupRoles[i]}
	}
	if len(d.SignIns) > 0 {
		conns, err := w.st.ListConnections(ctx, orgID)
		if err != nil {
			return userDetailsJSON{}, err
		}
		for i, s := range d.SignIns {
			out.SignIns[i] = signInJSON{At: s.At, Method: s.Method, ConnectionID: s.ConnectionID}
			for _, c := range conns {
				if c.ID == s.ConnectionID {
					out.SignIns[i].ConnectionName = c.Name
				}
			}
		}
	}
	// What the admin may do, by the store's own rules (1, 3, 4; 9; 6; 8).
	orgs, err := w.st.AccountOrgs(ctx, id)
	if err != nil {
		return userDetailsJSON{}, err
	}
	out.CanEditEmail, out.EmailReason, out.EmailRule = allowed(store.CanChangeEmail(actor, orgs, org.CompanyID))
	out.CanInvite, out.InviteReason, _ = allowed(store.CanInvite(org, d.Member.Account, d.Member.Membership))
	admins, err := w.enabledAdmins(ctx, orgID)
	if err != nil {
		return userDetailsJSON{}, err
	}
	out.CanRemove, out.RemoveReason, _ = allowed(store.CanRemoveMember(d.Member.Membership, admins))
	out.CanEditName, out.NameReason, _ = allowed(store.CanEditName(actor, id))
	return out, nil
}

// allowed turns a rule function's answer into (may, reason, rule).
func allowed(err error) (bool, string, int) {
	if err == nil {
		return true, "", 0
	}
	return false, ruleDetail(err), int(store.RuleOf(err))
}

// enabledAdmins counts the org's enabled system admins.
func (w *Web) enabledAdmins(ctx context.Context, orgID string) (int, error) {
	_, n, err := w.st.ListMembers(ctx, orgID, store.MemberQuery{UserTypes: []store.UserType{store.UserTypeSystemAdmin},
		Statuses: []store.Status{store.StatusActive, store.StatusPending, store.StatusInactive}, Limit: 1})
	return n, err
}

// rightsJSON are the access rights of a user; nil fields stay (PATCH) or
// take their defaults (POST).
type rightsJSON struct {
	UserType     *store.UserType     `json:"userType"`
	Subscription *store.Subscription `json:"subscription"`
	ReportsRole  *store.ReportsRole  `json:"reportsRole"`
}

func (c rightsJSON) empty() bool {
	return c.UserType == nil && c.Subscription == nil && c.ReportsRole == nil
}

// check refuses unknown values before anything is tried.
func (c rightsJSON) check() error {
	switch {
	case c.UserType != nil && !c.UserType.Valid():
		return &store.InvalidError{Field: "userType", Detail: fmt.Sprintf("%q is not one of system_admin, user", *c.UserType)}
	case c.Subscription != nil && !c.Subscription.Valid():
		return &store.InvalidError{Field: "subscription", Detail: fmt.Sprintf("%q is not one of none, contributor, professional, supervision", *c.Subscription)}
	case c.ReportsRole != nil && !c.ReportsRole.Valid():
		return &store.InvalidError{Field: "reportsRole", Detail: fmt.Sprintf("%q is not one of no_access, viewer, editor", *c.ReportsRole)}
	}
	return nil
}

func (c rightsJSON) change() store.MembershipChange {
	return store.MembershipChange{UserType: c.UserType, Subscription: c.Subscription, ReportsRole: c.ReportsRole}
}

type createdUserJSON struct {
	userJSON
	// ExistingAccount: the email already had an account (of another org),
	// which became a user of this org (rule 14).
	ExistingAccount  bool   `json:"existingAccount"`
	InvitationSent   bool   `json:"invitationSent"`
	InvitationReason string `json:"invitationReason,omitempty"`
}

// newUserJSON is a user to add: name, email and access rights.
type newUserJSON struct {
	Email      string `json:"email"`
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	rightsJSON
}

// apiCreateUser adds a user with their access rights and sends the
// invitation, unless rule 9 says not to (the answer says why).
func (w *Web) apiCreateUser(rw http.ResponseWriter, r *http.Request) {
	var in newUserJSON
	if !decode(rw, r, &in) {
		return
	}
	out, err := w.addUser(r.Context(), actorOf(r), chi.URLParam(r, "org"), in)
	if err != nil {
		w.userFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusCreated, out)
}

// addUser adds a user (rule 14: an existing account joins the org) and
// invites them unless rule 9 says not to; the answer says why not.
func (w *Web) addUser(ctx context.Context, actor store.Actor, orgID string, in newUserJSON) (createdUserJSON, error) {
	if strings.TrimSpace(in.Email) == "" {
		return createdUserJSON{}, inputError("email: the new user's email address is required")
	}
	if err := in.check(); err != nil {
		return createdUserJSON{}, err
	}
	rights := in.change().Apply(store.Membership{}) // unset rights stay "": the store's defaults
	m, err := w.st.CreateMember(ctx, actor, orgID, store.NewMember{Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName,
		UserType: rights.UserType, Subscription: rights.Subscription, ReportsRole: rights.ReportsRole, Invite: true})
	if err != nil {
		return createdUserJSON{}, err
	}
	out := createdUserJSON{userJSON: userView(m), ExistingAccount: m.Account.CreatedAt.Before(m.Membership.CreatedAt),
		InvitationSent: m.Membership.InvitedAt != nil}
	if !out.InvitationSent {
		org, err := w.st.GetOrg(ctx, orgID)
		if err != nil {
			return createdUserJSON{}, err
		}
		_, out.InvitationReason, _ = allowed(store.CanInvite(org, m.Account, m.Membership))
	}
	return out, nil
}

// apiInviteUser sends or resends the invitation (rule 9).
func (w *Web) apiInviteUser(rw http.ResponseWriter, r *http.Request) {
	m, err := w.st.Invite(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, userView(m))
}

// apiUpdateUser changes a user's access rights or disabled flag (rules 6, 7, 13).
func (w *Web) apiUpdateUser(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		rightsJSON
		Disabled *bool `json:"disabled"`
	}
	if !decode(rw, r, &in) {
		return
	}
	m, err := w.updateUser(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id"), in.rightsJSON, in.Disabled)
	if err != nil {
		w.userFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, userView(m))
}

// updateUser changes a user's access rights or disabled flag.
func (w *Web) updateUser(ctx context.Context, actor store.Actor, orgID, id string, in rightsJSON, disabled *bool) (store.Member, error) {
	if in.empty() && disabled == nil {
		return store.Member{}, inputError("send at least one of userType, subscription, reportsRole, disabled")
	}
	if err := in.check(); err != nil {
		return store.Member{}, err
	}
	c := in.change()
	c.Disabled = disabled
	return w.st.UpdateMember(ctx, actor, orgID, id, store.MemberUpdate{MembershipChange: c})
}

// apiChangeEmail changes a user's sign-in email (rules 1 to 5) once the
// admin confirmed it; the old address gets a notice.
func (w *Web) apiChangeEmail(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		Email   string `json:"email"`
		Confirm bool   `json:"confirm"`
	}
	if !decode(rw, r, &in) {
		return
	}
	m, err := w.changeEmail(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id"), in.Email, in.Confirm)
	if err != nil {
		w.userFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, userView(m))
}

// errUnconfirmed refuses an email change the admin did not confirm.
const errUnconfirmed = inputError("confirm: the person will no longer sign in with the old address; send \"confirm\": true to change it")

// changeEmail changes a user's email once confirmed and answers the user.
func (w *Web) changeEmail(ctx context.Context, actor store.Actor, orgID, id, email string, confirm bool) (store.Member, error) {
	if strings.TrimSpace(email) == "" {
		return store.Member{}, inputError("email: the new email address is required")
	}
	if !confirm {
		return store.Member{}, errUnconfirmed
	}
	if _, err := w.st.ChangeEmail(ctx, actor, orgID, id, email); err != nil {
		return store.Member{}, err
	}
	return w.st.GetMember(ctx, orgID, id)
}

// apiRemoveUser removes a user from the org (rules 6, 13).
func (w *Web) apiRemoveUser(rw http.ResponseWriter, r *http.Request) {
	if err := w.st.RemoveMember(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id")); err != nil {
		w.apiFail(rw, r, err)
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}

type bulkResultJSON struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Rule  int    `json:"rule,omitempty"`
}

type bulkJSON struct {
	Results []bulkResultJSON `json:"results"`
	Changed int              `json:"changed"`
	Refused int              `json:"refused"`
	// Job, when set, is the stored job the change became (over
	// Options.BulkJobThreshold users); the rest is then empty.
	Job *bulkJobJSON `json:"-"`
}

// bulkInJSON is a bulk change: the selected ids, or every user matching
// a search and filters; and the change of access rights.
type bulkInJSON struct {
	IDs          []string   `json:"ids"`
	All          bool       `json:"all"`
	Q            string     `json:"q"`
	Status       []string   `json:"status"`
	Type         []string   `json:"type"`
	Subscription []string   `json:"subscription"`
	Changes      rightsJSON `json:"changes"`
}

// apiBulkUpdate applies one change of access rights to a set of users, or
// to every user matching a search and filters; each user is changed or
// refused on their own.
func (w *Web) apiBulkUpdate(rw http.ResponseWriter, r *http.Request) {
	var in bulkInJSON
	if !decode(rw, r, &in) {
		return
	}
	out, err := w.bulkUpdate(r.Context(), actorOf(r), chi.URLParam(r, "org"), in)
	if err != nil {
		w.userFail(rw, r, err)
		return
	}
	if out.Job != nil {
		rw.Header().Set("Location", out.Job.URL)
		writeJSON(rw, http.StatusAccepted, out.Job)
		return
	}
	writeJSON(rw, http.StatusOK, out)
}

func (w *Web) bulkUpdate(ctx context.Context, actor store.Actor, orgID string, in bulkInJSON) (bulkJSON, error) {
	filtered := in.Q != "" || len(in.Status)+len(in.Type)+len(in.Subscription) > 0
	switch {
	case in.All == (in.IDs != nil):
		return bulkJSON{}, inputError("send either \"ids\" (the selected users) or \"all\": true (every user matching the search and filters)")
	case !in.All && filtered:
		return bulkJSON{}, inputError("the search and filters (q, status, type, subscription) go with \"all\": true, not with \"ids\"")
	case !in.All && len(in.IDs) == 0:
		return bulkJSON{}, inputError("ids: select at least one user")
	case len(in.IDs) > maxBulkIDs:
		return bulkJSON{}, inputError(fmt.Sprintf("ids: at most %d users at once; use \"all\": true with the search and filters for more", maxBulkIDs))
	case in.Changes.empty():
		return bulkJSON{}, inputError("changes: send at least one of userType, subscription, reportsRole")
	}
	if err := in.Changes.check(); err != nil {
		return bulkJSON{}, err
	}
	change := store.MemberUpdate{MembershipChange: in.Changes.change()}
	var res []store.BulkResult
	if in.All {
		q, err := memberFilter(in.Q, in.Status, in.Type, in.Subscription)
		if err != nil {
			return bulkJSON{}, err
		}
		if job, err := w.bulkAsJob(ctx, actor, orgID, nil, &q, change.MembershipChange); err != nil || job != nil {
			return bulkJSON{Job: job}, err
		}
		if res, err = w.st.UpdateMatchingMembers(ctx, actor, orgID, q, change); err != nil {
			return bulkJSON{}, err
		}
	} else {
		var ids []string
		for _, id := range in.IDs {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if job, err := w.bulkAsJob(ctx, actor, orgID, ids, nil, change.MembershipChange); err != nil || job != nil {
			return bulkJSON{Job: job}, err
		}
		res = w.st.UpdateMembers(ctx, actor, orgID, ids, change)
	}
	out := bulkJSON{Results: make([]bulkResultJSON, len(res))}
	for i, b := range res {
		out.Results[i] = bulkResultJSON{ID: b.AccountID, OK: b.Err == nil}
		if b.Err == nil {
			out.Changed++
			continue
		}
		out.Refused++
		code, msg, rule := errorStatus(b.Err)
		if code >= 500 {
			w.log.Error("web.bulk_member_error", "err", b.Err, "org", orgID, "account", b.AccountID)
		}
		out.Results[i].Error, out.Results[i].Rule = msg, int(rule)
	}
	return out, nil
}

type orgJSON struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Slug            string    `json:"slug"`
	Domains         []string  `json:"domains"`
	SSOEnabled      bool      `json:"ssoEnabled"`
	SSOConnectionID string    `json:"ssoConnectionId,omitempty"`
	SenderName      string    `json:"senderName"`
	SenderEmail     string    `json:"senderEmail"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

func orgView(o store.Org) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Slug: o.Slug, Domains: append([]string{}, o.Domains...), SSOEnabled: o.SSOEnabled,
		SSOConnectionID: o.SSOConnectionID, SenderName: o.SenderName, SenderEmail: o.SenderEmail, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func (w *Web) apiGetOrg(rw http.ResponseWriter, r *http.Request) {
	o, err := w.st.GetOrg(r.Context(), chi.URLParam(r, "org"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, orgView(o))
}

// apiUpdateOrg changes the org's name or custom email sender ("" for the
// default sender). Domains are support's (the operator CLI).
func (w *Web) apiUpdateOrg(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        *string `json:"name"`
		SenderName  *string `json:"senderName"`
		SenderEmail *string `json:"senderEmail"`
	}
	if !decode(rw, r, &in) {
		return
	}
	if in.Name == nil && in.SenderName == nil && in.SenderEmail == nil {
		badRequest(rw, "send at least one of name, senderName, senderEmail")
		return
	}
	o, err := w.st.UpdateOrg(r.Context(), actorOf(r), chi.URLParam(r, "org"), store.OrgSettings{Name: in.Name, SenderName: in.SenderName, SenderEmail: in.SenderEmail})
	if err != nil {
		w.userFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, orgView(o))
}

type myOrgJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	CompanyID   string `json:"companyId"`
	CompanyName string `json:"companyName"`
	// Current is the org the session is signed in to.
	Current bool `json:"current"`
}

// apiMyOrgs lists the orgs where the signed-in person is an enabled system
// admin, for the org switcher.
func (w *Web) apiMyOrgs(rw http.ResponseWriter, r *http.Request) {
	s, ok := w.session(r)
	if !ok {
		writeJSON(rw, http.StatusUnauthorized, apiError{Error: "sign in first: no live session"})
		return
	}
	out, err := w.adminOrgs(r.Context(), s)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, out)
}

// adminOrgs are the orgs where the session's person is an enabled system
// admin, by name; Current marks the session's org.
func (w *Web) adminOrgs(ctx context.Context, s store.Session) ([]myOrgJSON, error) {
	orgs, err := w.st.AccountOrgs(ctx, s.AccountID)
	if err != nil {
		return nil, err
	}
	out := []myOrgJSON{}
	companies := map[string]string{}
	for _, o := range orgs {
		m, err := w.st.GetMember(ctx, o.ID, s.AccountID)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		if m.Membership.UserType != store.UserTypeSystemAdmin || m.Membership.Disabled {
			continue
		}
		name, ok := companies[o.CompanyID]
		if !ok {
			c, err := w.st.GetCompany(ctx, o.CompanyID)
			if err != nil {
				return nil, err
			}
			name, companies[o.CompanyID] = c.Name, c.Name
		}
		out = append(out, myOrgJSON{ID: o.ID, Name: o.Name, Slug: o.Slug, CompanyID: o.CompanyID, CompanyName: name, Current: o.ID == s.OrgID})
	}
	slices.SortFunc(out, func(a, b myOrgJSON) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}
