package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/store"
)

// The admin JSON API of one org, for its enabled system admins signed in to it.

const actorKey ctxKey = iota + 1

func (w *Web) adminRoutes(r chi.Router) {
	r.Use(w.requireAdmin)
	r.NotFound(func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusNotFound, apiError{Error: "no such API endpoint"})
	})
	r.MethodNotAllowed(func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusMethodNotAllowed, apiError{Error: "method not allowed on this endpoint"})
	})
	r.Get("/", w.apiGetOrg)
	r.Patch("/", w.apiUpdateOrg)
	r.Get("/users", w.apiListUsers)
	r.Post("/users", w.apiCreateUser)
	r.Post("/users/bulk", w.apiBulkUpdate)
	r.Get("/bulk-jobs/{id}", w.apiGetBulkJob)
	r.Get("/bulk-jobs/{id}/report.csv", w.apiBulkJobReport)
	r.Get("/users/export.xlsx", w.apiExportUsers)
	r.Get("/users/{id}", w.apiGetUser)
	r.Patch("/users/{id}", w.apiUpdateUser)
	r.Delete("/users/{id}", w.apiRemoveUser)
	r.Post("/users/{id}/invitation", w.apiInviteUser)
	r.Post("/users/{id}/email", w.apiChangeEmail)
	r.Get("/connections", w.apiListConnections)
	r.Post("/connections", w.apiCreateConnection)
	r.Get("/connections/{id}", w.apiGetConnection)
	r.Patch("/connections/{id}", w.apiUpdateConnection)
	r.Delete("/connections/{id}", w.apiDeleteConnection)
	r.Post("/connections/{id}/test", w.apiTestConnection)
	r.Get("/sso", w.apiSSO)
	r.Post("/sso/enable", w.apiEnableSSO)
	r.Post("/sso/disable", w.apiDisableSSO)
	r.Get("/scim-tokens", w.apiListTokens)
	r.Post("/scim-tokens", w.apiCreateToken)
	r.Delete("/scim-tokens/{id}", w.apiRevokeToken)
	r.Get("/scim-requests", w.apiSCIMRequests)
	r.Get("/scim-requests/{id}", w.apiSCIMRequest)
	r.Get("/sign-ins", w.apiSignIns)
}

// requireAdmin lets through a session of this org whose member is an enabled
// system admin. A session of another org sees 404, as if the org did not exist.
func (w *Web) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s, ok := w.session(r)
		if !ok {
			writeJSON(rw, http.StatusUnauthorized, apiError{Error: "sign in first: no live session"})
			return
		}
		orgID := chi.URLParam(r, "org")
		if s.OrgID != orgID {
			writeJSON(rw, http.StatusNotFound, apiError{Error: "not found"})
			return
		}
		admin, err := w.isAdmin(r.Context(), s)
		if err != nil {
			w.apiFail(rw, r, err)
			return
		}
		if !admin {
			writeJSON(rw, http.StatusForbidden, apiError{Error: "only an enabled system admin of this organization can do this"})
			return
		}
		next.ServeHTTP(rw, asAdmin(r, s))
	})
}

// isAdmin says whether the session's person is an enabled system admin of
// the session's org.
func (w *Web) isAdmin(ctx context.Context, s store.Session) (bool, error) {
	m, err := w.st.GetMember(ctx, s.OrgID, s.AccountID)
	if err != nil {
		return false, err
	}
	return m.Membership.UserType == store.UserTypeSystemAdmin && !m.Membership.Disabled, nil
}

// asAdmin makes the session's admin the actor of r's changes.
func asAdmin(r *http.Request, s store.Session) *http.Request {
	ctx := context.WithValue(r.Context(), actorKey, store.AdminActor(s.OrgID, s.AccountID))
	return withSession(r.WithContext(ctx), s)
}

func actorOf(r *http.Request) store.Actor {
	a, _ := r.Context().Value(actorKey).(store.Actor)
	return a
}

// maxJSON bounds a request body; pasted SAML metadata fits.
const maxJSON = 1 << 20

// decode reads a JSON body into v; false means a 400 (or 415) was written.
func decode(rw http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(rw, http.StatusUnsupportedMediaType, apiError{Error: "send the body as application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(rw, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(rw, http.StatusBadRequest, apiError{Error: "invalid JSON body: " + strings.TrimPrefix(err.Error(), "json: ")})
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeJSON(rw, http.StatusBadRequest, apiError{Error: "invalid JSON body: one object expected"})
		return false
	}
	return true
}

type connectionJSON struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	Settings   json.RawMessage `json:"settings,omitempty"`
	TestedAt   *time.Time      `json:"testedAt"`
	SSOEnabled bool            `json:"ssoEnabled"`
	CreatedAt  time.Time       `json:"createdAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
}

func connectionView(c store.Connection, org store.Org) connectionJSON {
	return connectionJSON{ID: c.ID, Kind: string(c.Kind), Name: c.Name, Settings: RedactSettings(c.Settings), TestedAt: c.TestedAt,
		SSOEnabled: org.SSOEnabled && org.SSOConnectionID == c.ID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// RedactSettings replaces the value of every key that names a secret
// ("secret", "password", "private") with "REDACTED", at any depth: client
// secrets and keys are never returned, even encrypted.
func RedactSettings(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	b, err := json.Marshal(redact(v))
	if err != nil {
		return nil
	}
	return b
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "secret") || strings.Contains(lk, "password") || strings.Contains(lk, "private") {
				t[k] = redacted
			} else {
				t[k] = redact(x)
			}
		}
	case []any:
		for i, x := range t {
			t[i] = redact(x)
		}
	}
	return v
}

func (w *Web) apiListConnections(rw http.ResponseWriter, r *http.Request) {
	orgID := chi.URLParam(r, "org")
	org, err := w.st.GetOrg(r.Context(), orgID)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	cs, err := w.st.ListConnections(r.Context(), orgID)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	out := make([]connectionJSON, len(cs))
	for i, c := range cs {
		out[i] = connectionView(c, org)
	}
	writeJSON(rw, http.StatusOK, out)
}

func (w *Web) apiGetConnection(rw http.ResponseWriter, r *http.Request) {
	orgID := chi.URLParam(r, "org")
	c, err := w.st.GetConnection(r.Context(), orgID, chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	w.writeConnection(rw, r, http.StatusOK, c)
}

func (w *Web) writeConnection(rw http.ResponseWriter, r *http.Request, code int, c store.Connection) {
	org, err := w.st.GetOrg(r.Context(), c.OrgID)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, code, connectionView(c, org))
}

// ValidateSettings has the provider of the connection kind check (and
// complete) a connection's settings before they are stored; its complaints
// are *store.InvalidError on "settings".
func (w *Web) ValidateSettings(ctx context.Context, kind store.ConnectionKind, settings json.RawMessage) (json.RawMessage, error) {
	p, ok := w.providers[kind]
	if !ok {
		return nil, &store.InvalidError{Field: "kind", Detail: fmt.Sprintf("%q connections are not served here (saml, oidc)", kind)}
	}
	out, err := p.Validate(ctx, settings)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return nil, err
		}
		return nil, &store.InvalidError{Field: "settings", Detail: oneLine(err.Error())}
	}
	return out, nil
}

// keepRedacted puts the stored value back wherever new settings send
// "REDACTED" at the top level, so settings read from the API can be edited
// and sent back without their secrets.
func keepRedacted(next, stored json.RawMessage) json.RawMessage {
	var n, o map[string]json.RawMessage
	if json.Unmarshal(next, &n) != nil || json.Unmarshal(stored, &o) != nil {
		return next
	}
	changed := false
	for k, v := range n {
		var s string
		if json.Unmarshal(v, &s) == nil && s == redacted {
			if old, ok := o[k]; ok {
				n[k] = old
			} else {
				delete(n, k)
			}
			changed = true
		}
	}
	if !changed {
		return next
	}
	b, err := json.Marshal(n)
	if err != nil {
		return next
	}
	return b
}

const redacted = "REDACTED"

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (w *Web) apiCreateConnection(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind     store.ConnectionKind `json:"kind"`
		Name     string               `json:"name"`
		Settings json.RawMessage      `json:"settings"`
	}
	if !decode(rw, r, &in) {
		return
	}
	settings, err := w.ValidateSettings(r.Context(), in.Kind, in.Settings)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	c, err := w.st.CreateConnection(r.Context(), actorOf(r), chi.URLParam(r, "org"), store.NewConnection{Kind: in.Kind, Name: in.Name, Settings: settings})
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	w.writeConnection(rw, r, http.StatusCreated, c)
}

func (w *Web) apiUpdateConnection(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     *string          `json:"name"`
		Settings *json.RawMessage `json:"settings"`
	}
	if !decode(rw, r, &in) {
		return
	}
	orgID, id := chi.URLParam(r, "org"), chi.URLParam(r, "id")
	if in.Settings != nil {
		c, err := w.st.GetConnection(r.Context(), orgID, id)
		if err != nil {
			w.apiFail(rw, r, err)
			return
		}
		s, err := w.ValidateSettings(r.Context(), c.Kind, keepRedacted(*in.Settings, c.Settings))
		if err != nil {
			w.apiFail(rw, r, err)
			return
		}
		in.Settings = &s
	}
	c, err := w.st.UpdateConnection(r.Context(), actorOf(r), orgID, id, store.ConnectionChange{Name: in.Name, Settings: in.Settings})
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	w.writeConnection(rw, r, http.StatusOK, c)
}

func (w *Web) apiDeleteConnection(rw http.ResponseWriter, r *http.Request) {
	if err := w.st.DeleteConnection(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id")); err != nil {
		w.apiFail(rw, r, err)
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}

// apiTestConnection starts an admin's test sign-in: the answer is the
// provider's redirect (or auto-submitted form) to the IdP, so submit it from
// the browser (a form POST), not from fetch.
func (w *Web) apiTestConnection(rw http.ResponseWriter, r *http.Request) {
	c, err := w.st.GetConnection(r.Context(), chi.URLParam(r, "org"), chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	if _, ok := w.providers[c.Kind]; !ok {
		writeJSON(rw, http.StatusServiceUnavailable, apiError{Error: string(c.Kind) + " sign-in is not available on this server"})
		return
	}
	w.startSSO(rw, r, c, testReturnPath+"?by="+url.QueryEscape(actorOf(r).AccountID), true)
}

type ssoJSON struct {
	SSOEnabled      bool   `json:"ssoEnabled"`
	SSOConnectionID string `json:"ssoConnectionId"`
}

func (w *Web) apiSSO(rw http.ResponseWriter, r *http.Request) {
	org, err := w.st.GetOrg(r.Context(), chi.URLParam(r, "org"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, ssoJSON{org.SSOEnabled, org.SSOConnectionID})
}

func (w *Web) apiEnableSSO(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		ConnectionID string `json:"connectionId"`
	}
	if !decode(rw, r, &in) {
		return
	}
	org, err := w.st.EnableSSO(r.Context(), actorOf(r), chi.URLParam(r, "org"), in.ConnectionID)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, ssoJSON{org.SSOEnabled, org.SSOConnectionID})
}

func (w *Web) apiDisableSSO(rw http.ResponseWriter, r *http.Request) {
	org, err := w.st.DisableSSO(r.Context(), actorOf(r), chi.URLParam(r, "org"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, ssoJSON{org.SSOEnabled, org.SSOConnectionID})
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

func tokenView(t store.SCIMToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

func (w *Web) apiListTokens(rw http.ResponseWriter, r *http.Request) {
	ts, err := w.st.ListSCIMTokens(r.Context(), chi.URLParam(r, "org"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = tokenView(t)
	}
	writeJSON(rw, http.StatusOK, out)
}

// apiCreateToken answers the secret once; only its hash is stored.
func (w *Web) apiCreateToken(rw http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(rw, r, &in) {
		return
	}
	secret, t, err := w.st.CreateSCIMToken(r.Context(), actorOf(r), chi.URLParam(r, "org"), in.Name)
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	v := tokenView(t)
	v.Token = secret
	writeJSON(rw, http.StatusCreated, v)
}

func (w *Web) apiRevokeToken(rw http.ResponseWriter, r *http.Request) {
	t, err := w.st.RevokeSCIMToken(r.Context(), actorOf(r), chi.URLParam(r, "org"), chi.URLParam(r, "id"))
	if err != nil {
		w.apiFail(rw, r, err)
		return
	}
	writeJSON(rw, http.StatusOK, tokenView(t))
}
