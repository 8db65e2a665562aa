package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/idbridge/idbridge/oidc"
	"github.com/idbridge/idbridge/saml"
	"github.com/idbridge/idbridge/store"
)

// The console's Single sign-on and Provisioning pages (issue 10): the org's
// connections, a guided setup per IdP, the test sign-in, SSO on and off
// behind a confirmation with counts, and the SCIM tokens. Same store calls
// as the JSON admin API (api.go); every form works without JavaScript.

// certWarning is how long before its IdP certificate expires a SAML
// connection is flagged.
const certWarning = 30 * 24 * time.Hour

// consoleTestCSP is consoleCSP for the pages with a "Test sign-in" form:
// its answer redirects to the IdP, and browsers apply form-action to that
// redirect (as pageCSP does for POST /login).
const consoleTestCSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'"

// ssoPage is what the SSO and provisioning pages show; each uses its part.
type ssoPage struct {
	OrgID       string
	Enabled     bool
	EnabledName string
	Conns       []connRow
	Domains     []string
	// TestForms: the page has a test sign-in form (consoleTestCSP).
	TestForms bool

	// The guide of one connection.
	Conn                                       connRow
	IDP                                        string
	IDPs                                       []idpChoice
	Values                                     []copyValue
	MetadataURL, MetadataXML, Issuer, ClientID string
	Name                                       string

	// The confirmations.
	Impact store.SSOImpact

	// Provisioning.
	SCIMURL   string
	SCIMValue copyValue
	Tokens    []tokenRow
	NewToken  *copyValue
	Token     tokenRow
}

type connRow struct {
	ID, Name, Kind string
	// Configured: the IdP's values are saved; a draft has none yet.
	Configured, Enabled bool
	TestedAt            string
	// CertExpiry is the SAML IdP certificate's expiry (the soonest);
	// CertWarn when within certWarning, CertExpired once past.
	CertExpiry            string
	CertWarn, CertExpired bool
	IDP                   string
}

type tokenRow struct {
	ID, Name, Created, LastUsed, Revoked string
}

// copyValue is one of our values the admin copies into the IdP.
type copyValue struct {
	ID, Label, Value string
}

// idpChoice is an IdP with a guide.
type idpChoice struct {
	ID, Name string
	Kind     store.ConnectionKind
}

var idps = []idpChoice{
	{"okta", "Okta", store.ConnectionSAML},
	{"entra", "Microsoft Entra ID", store.ConnectionSAML},
	{"google", "Google Workspace", store.ConnectionSAML},
	{"saml", "SAML 2.0", store.ConnectionSAML},
	{"oidc", "OpenID Connect", store.ConnectionOIDC},
}

func idpOf(id string, kind store.ConnectionKind) idpChoice {
	for _, p := range idps {
		if p.ID == id && (kind == "" || p.Kind == kind) {
			return p
		}
	}
	if kind == store.ConnectionOIDC {
		return idps[4]
	}
	return idps[3]
}

func (w *Web) consoleSSORoutes(r chi.Router) {
	r.Get("/sso", w.requireConsole(w.consoleSSO))
	r.Get("/sso/new", w.requireConsole(w.consoleSSONew))
	r.Post("/sso/new", w.requireConsole(w.consoleSSOCreate))
	r.Get("/sso/enable", w.requireConsole(w.consoleSSOEnableConfirm))
	r.Post("/sso/enable", w.requireConsole(w.consoleSSOEnable))
	r.Get("/sso/disable", w.requireConsole(w.consoleSSODisableConfirm))
	r.Post("/sso/disable", w.requireConsole(w.consoleSSODisable))
	r.Get("/sso/{id}", w.requireConsole(w.consoleSSOGuide))
	r.Post("/sso/{id}", w.requireConsole(w.consoleSSOSave))
	r.Get("/provisioning", w.requireConsole(w.consoleProvisioning))
	r.Post("/provisioning/tokens", w.requireConsole(w.consoleTokenCreate))
	r.Get("/provisioning/tokens/{id}/revoke", w.requireConsole(w.consoleTokenRevokeConfirm))
	r.Post("/provisioning/tokens/{id}/revoke", w.requireConsole(w.consoleTokenRevoke))
}

var ssoNotices = map[string]string{
	"saved":    "The identity provider's values are saved. Run a test sign-in next.",
	"enabled":  "SSO is enabled.",
	"disabled": "SSO is disabled.",
	"revoked":  "The token is revoked.",
}

// ssoFail shows an error on the SSO page's layout.
func (w *Web) ssoFail(rw http.ResponseWriter, r *http.Request, nav string, err error) {
	code, msg := w.ssoError(r, err)
	title := "Single sign-on"
	if nav == "provisioning" {
		title = "Provisioning"
	}
	w.renderConsole(rw, r, code, "message", nav, title, console{Error: msg})
}

// ssoError is consoleError with the not-found sentence of these pages.
func (w *Web) ssoError(r *http.Request, err error) (int, string) {
	code, msg := w.consoleError(r, err)
	if code == http.StatusNotFound {
		msg = tr(langOf(r), "This connection or token is not in your organization (any more).")
	}
	return code, msg
}

// row describes a connection for the pages.
func (w *Web) row(lang string, org store.Org, c store.Connection) connRow {
	row := connRow{ID: c.ID, Name: c.Name, Kind: string(c.Kind), Enabled: org.SSOEnabled && org.SSOConnectionID == c.ID,
		TestedAt: when(lang, c.TestedAt)}
	switch c.Kind {
	case store.ConnectionSAML:
		row.IDP = "saml"
		if s, err := saml.ParseSettings(c.Settings); err == nil && (s.IDPMetadataXML != "" || s.IDPMetadataURL != "") {
			row.Configured = true
		}
		if certs, err := saml.IDPCertificates(c.Settings); err == nil && len(certs) > 0 {
			soonest := certs[0].NotAfter
			for _, x := range certs[1:] {
				if x.NotAfter.Before(soonest) {
					soonest = x.NotAfter
				}
			}
			now := w.opt.Now()
			row.CertExpiry = when(lang, soonest)
			row.CertExpired = !soonest.After(now)
			row.CertWarn = !row.CertExpired && soonest.Sub(now) <= certWarning
		}
	case store.ConnectionOIDC:
		row.IDP = "oidc"
		if s, err := oidc.ParseSettings(c.Settings); err == nil && s.Issuer != "" {
			row.Configured = true
		}
	}
	return row
}

func (w *Web) consoleSSO(rw http.ResponseWriter, r *http.Request, s store.Session) {
	lang := langOf(r)
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	cs, err := w.st.ListConnections(r.Context(), s.OrgID)
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	p := &ssoPage{OrgID: org.ID, Enabled: org.SSOEnabled, Domains: org.Domains, TestForms: true}
	for _, c := range cs {
		row := w.row(lang, org, c)
		if row.Enabled {
			p.EnabledName = c.Name
		}
		p.Conns = append(p.Conns, row)
	}
	c := console{SSO: p}
	if n, ok := ssoNotices[r.URL.Query().Get("done")]; ok {
		c.Notice = tr(lang, n)
	}
	c.Self = "/admin/sso"
	w.renderConsole(rw, r, http.StatusOK, "admin_sso", "sso", "Single sign-on", c)
}

func (w *Web) consoleSSONew(rw http.ResponseWriter, r *http.Request, _ store.Session) {
	w.renderConsole(rw, r, http.StatusOK, "admin_sso_new", "sso", "Add connection", console{SSO: &ssoPage{IDPs: idps, IDP: r.URL.Query().Get("idp")}})
}

// consoleSSOCreate adds the connection as a draft (no settings): our values
// hold its id, so the guide shows them before the IdP's values are known.
func (w *Web) consoleSSOCreate(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id, name := r.PostFormValue("idp"), strings.TrimSpace(r.PostFormValue("name"))
	p := &ssoPage{IDPs: idps, IDP: id, Name: name}
	known := false
	for _, x := range idps {
		known = known || x.ID == id
	}
	if !known {
		w.renderConsole(rw, r, http.StatusBadRequest, "admin_sso_new", "sso", "Add connection",
			console{SSO: p, Field: "idp", FieldError: tr(langOf(r), "Choose your identity provider.")})
		return
	}
	idp := idpOf(id, "")
	if name == "" {
		name = idp.Name
	}
	c, err := w.st.CreateConnection(r.Context(), actorOf(r), s.OrgID, store.NewConnection{Kind: idp.Kind, Name: name})
	if err != nil {
		code, msg := w.ssoError(r, err)
		w.renderConsole(rw, r, code, "admin_sso_new", "sso", "Add connection", console{SSO: p, Field: "name", FieldError: msg})
		return
	}
	http.Redirect(rw, r, "/admin/sso/"+url.PathEscape(c.ID)+"?idp="+idp.ID, http.StatusSeeOther)
}

// spURLs are the SAML provider's values for a connection.
type spURLs interface {
	EntityID(connectionID string) string
	ACSURL(connectionID string) string
}

// redirectURL is the OIDC provider's redirect URI of a connection.
type redirectURL interface {
	RedirectURL(connectionID string) string
}

func (w *Web) consoleSSOGuide(rw http.ResponseWriter, r *http.Request, s store.Session) {
	c, err := w.st.GetConnection(r.Context(), s.OrgID, chi.URLParam(r, "id"))
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	w.showGuide(rw, r, http.StatusOK, c, r.URL.Query().Get("idp"), nil, "", "")
}

// showGuide renders the setup guide of c for the IdP idp, with the form's
// values (form, nil: the stored ones) and a refusal next to field.
func (w *Web) showGuide(rw http.ResponseWriter, r *http.Request, code int, c store.Connection, idp string, form url.Values, field, msg string) {
	lang := langOf(r)
	org, err := w.st.GetOrg(r.Context(), c.OrgID)
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	choice := idpOf(idp, c.Kind)
	p := &ssoPage{OrgID: c.OrgID, Conn: w.row(lang, org, c), IDP: choice.ID, TestForms: true}
	switch c.Kind {
	case store.ConnectionSAML:
		if sp, ok := w.providers[store.ConnectionSAML].(spURLs); ok {
			p.Values = append(p.Values, copyValue{"acs-url", tr(lang, "ACS URL (reply URL, single sign-on URL)"), sp.ACSURL(c.ID)},
				copyValue{"entity-id", tr(lang, "Entity ID (identifier, audience URI)"), sp.EntityID(c.ID)})
			if p.Conn.Configured {
				p.Values = append(p.Values, copyValue{"sp-metadata", tr(lang, "SP metadata URL"), sp.EntityID(c.ID)})
			}
		}
		s, _ := saml.ParseSettings(c.Settings)
		p.MetadataURL, p.MetadataXML = s.IDPMetadataURL, s.IDPMetadataXML
		if s.IDPMetadataURL != "" {
			p.MetadataXML = ""
		}
	case store.ConnectionOIDC:
		if op, ok := w.providers[store.ConnectionOIDC].(redirectURL); ok {
			p.Values = append(p.Values, copyValue{"redirect-uri", tr(lang, "Redirect URI"), op.RedirectURL(c.ID)})
		}
		s, _ := oidc.ParseSettings(c.Settings)
		p.Issuer, p.ClientID = s.Issuer, s.ClientID
	}
	if form != nil {
		p.MetadataURL, p.MetadataXML = form.Get("metadataUrl"), form.Get("metadataXml")
		p.Issuer, p.ClientID = form.Get("issuer"), form.Get("clientId")
	}
	title := tr(lang, "Set up %s", choice.Name)
	w.renderConsole(rw, r, code, "admin_sso_guide", "sso", title, console{SSO: p, Field: field, FieldError: msg,
		Self: "/admin/sso/" + url.PathEscape(c.ID) + "?idp=" + choice.ID})
}

// consoleSSOSave takes the IdP's values, checked by the protocol package;
// a refusal is shown next to its field and nothing is saved.
func (w *Web) consoleSSOSave(rw http.ResponseWriter, r *http.Request, s store.Session) {
	c, err := w.st.GetConnection(r.Context(), s.OrgID, chi.URLParam(r, "id"))
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	f := r.PostForm
	idp := f.Get("idp")
	var next json.RawMessage
	field := "metadata"
	switch c.Kind {
	case store.ConnectionSAML:
		st, _ := saml.ParseSettings(c.Settings)
		st.IDPMetadataURL, st.IDPMetadataXML = strings.TrimSpace(f.Get("metadataUrl")), strings.TrimSpace(f.Get("metadataXml"))
		next, err = json.Marshal(st)
	case store.ConnectionOIDC:
		st, _ := oidc.ParseSettings(c.Settings)
		issuer, clientID := strings.TrimSpace(f.Get("issuer")), strings.TrimSpace(f.Get("clientId"))
		if issuer != st.Issuer || clientID != st.ClientID {
			st.ClientSecretSealed = "" // sealed for the old issuer and client id: enter it again
		}
		st.Issuer, st.ClientID, st.ClientSecret = issuer, clientID, f.Get("clientSecret")
		next, err = json.Marshal(st)
		field = "issuer"
	}
	if err == nil {
		next, err = w.ValidateSettings(r.Context(), c.Kind, next)
	}
	if err == nil {
		_, err = w.st.UpdateConnection(r.Context(), actorOf(r), s.OrgID, c.ID, store.ConnectionChange{Settings: &next})
	}
	if err != nil {
		code, msg := w.ssoError(r, err)
		if code == http.StatusNotFound {
			w.ssoFail(rw, r, "sso", err)
			return
		}
		if c.Kind == store.ConnectionOIDC {
			switch l := strings.ToLower(msg); {
			case strings.Contains(l, "clientid"), strings.Contains(l, "client id"):
				field = "clientId"
			case strings.Contains(l, "secret"):
				field = "clientSecret"
			}
		}
		if store.RuleOf(err) != 0 {
			field = "settings"
		}
		w.showGuide(rw, r, code, c, idp, f, field, msg)
		return
	}
	http.Redirect(rw, r, "/admin/sso?done=saved#c-"+url.QueryEscape(c.ID), http.StatusSeeOther)
}

// impactPage loads the counts of a confirmation.
func (w *Web) impactPage(r *http.Request, s store.Session) (*ssoPage, store.Org, error) {
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		return nil, org, err
	}
	im, err := w.st.SSOImpact(r.Context(), s.OrgID)
	if err != nil {
		return nil, org, err
	}
	return &ssoPage{OrgID: org.ID, Impact: im, Domains: org.Domains, Enabled: org.SSOEnabled}, org, nil
}

// consoleSSOEnableConfirm states what enabling SSO with a connection
// changes, with the counts; a connection not tested gets the refusal of
// rule 12 instead of the button.
func (w *Web) consoleSSOEnableConfirm(rw http.ResponseWriter, r *http.Request, s store.Session) {
	w.enablePage(rw, r, s, r.FormValue("connection"), nil)
}

func (w *Web) enablePage(rw http.ResponseWriter, r *http.Request, s store.Session, id string, refusal error) {
	p, org, err := w.impactPage(r, s)
	if err == nil {
		var c store.Connection
		if c, err = w.st.GetConnection(r.Context(), s.OrgID, id); err == nil {
			p.Conn = w.row(langOf(r), org, c)
			if refusal == nil {
				refusal = store.CanEnableSSO(org, c)
			}
		}
	}
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	cs := console{SSO: p}
	code := http.StatusOK
	if refusal != nil {
		code, cs.FieldError = w.ssoError(r, refusal)
		cs.Field = "enable"
	}
	w.renderConsole(rw, r, code, "admin_sso_enable", "sso", "Enable SSO", cs)
}

func (w *Web) consoleSSOEnable(rw http.ResponseWriter, r *http.Request, s store.Session) {
	id := r.PostFormValue("connection")
	if _, err := w.st.EnableSSO(r.Context(), actorOf(r), s.OrgID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			w.ssoFail(rw, r, "sso", err)
			return
		}
		w.enablePage(rw, r, s, id, err)
		return
	}
	http.Redirect(rw, r, "/admin/sso?done=enabled", http.StatusSeeOther)
}

func (w *Web) consoleSSODisableConfirm(rw http.ResponseWriter, r *http.Request, s store.Session) {
	p, _, err := w.impactPage(r, s)
	if err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_sso_disable", "sso", "Disable SSO", console{SSO: p})
}

func (w *Web) consoleSSODisable(rw http.ResponseWriter, r *http.Request, s store.Session) {
	if _, err := w.st.DisableSSO(r.Context(), actorOf(r), s.OrgID); err != nil {
		w.ssoFail(rw, r, "sso", err)
		return
	}
	http.Redirect(rw, r, "/admin/sso?done=disabled", http.StatusSeeOther)
}

// --- Provisioning ---

func (w *Web) consoleProvisioning(rw http.ResponseWriter, r *http.Request, s store.Session) {
	c := console{}
	if n, ok := ssoNotices[r.URL.Query().Get("done")]; ok {
		c.Notice = tr(langOf(r), n)
	}
	w.provisioningPage(rw, r, s, http.StatusOK, c, nil)
}

// provisioningPage shows the SCIM base URL, the guides and the tokens; a
// token just created is shown once, in newToken.
func (w *Web) provisioningPage(rw http.ResponseWriter, r *http.Request, s store.Session, code int, c console, newToken *copyValue) {
	lang := langOf(r)
	org, err := w.st.GetOrg(r.Context(), s.OrgID)
	if err != nil {
		w.ssoFail(rw, r, "provisioning", err)
		return
	}
	ts, err := w.st.ListSCIMTokens(r.Context(), s.OrgID)
	if err != nil {
		w.ssoFail(rw, r, "provisioning", err)
		return
	}
	scimURL := strings.TrimSuffix(w.opt.BaseURL, "/") + "/scim/v2"
	p := &ssoPage{OrgID: org.ID, SCIMURL: scimURL, SCIMValue: copyValue{"scim-url", tr(lang, "SCIM base URL"), scimURL}, NewToken: newToken}
	for _, t := range ts {
		p.Tokens = append(p.Tokens, tokenRowOf(lang, t))
	}
	c.SSO, c.Org, c.SCIMURL, c.Self = p, org, scimURL, "/admin/provisioning"
	w.renderConsole(rw, r, code, "admin_provisioning", "provisioning", "Provisioning", c)
}

func tokenRowOf(lang string, t store.SCIMToken) tokenRow {
	return tokenRow{ID: t.ID, Name: t.Name, Created: when(lang, t.CreatedAt), LastUsed: when(lang, t.LastUsedAt), Revoked: when(lang, t.RevokedAt)}
}

// consoleTokenCreate creates a SCIM token and shows its secret once: the
// answer is the page itself, never a redirect that would put it in a URL.
func (w *Web) consoleTokenCreate(rw http.ResponseWriter, r *http.Request, s store.Session) {
	secret, _, err := w.st.CreateSCIMToken(r.Context(), actorOf(r), s.OrgID, r.PostFormValue("name"))
	if err != nil {
		code, msg := w.ssoError(r, err)
		w.provisioningPage(rw, r, s, code, console{Field: "tokenName", FieldError: msg}, nil)
		return
	}
	rw.Header().Set("Cache-Control", "no-store")
	w.provisioningPage(rw, r, s, http.StatusCreated, console{}, &copyValue{"new-token", tr(langOf(r), "The new token"), secret})
}

func (w *Web) findToken(r *http.Request, s store.Session) (store.SCIMToken, error) {
	ts, err := w.st.ListSCIMTokens(r.Context(), s.OrgID)
	if err != nil {
		return store.SCIMToken{}, err
	}
	for _, t := range ts {
		if t.ID == chi.URLParam(r, "id") {
			return t, nil
		}
	}
	return store.SCIMToken{}, store.ErrNotFound
}

func (w *Web) consoleTokenRevokeConfirm(rw http.ResponseWriter, r *http.Request, s store.Session) {
	t, err := w.findToken(r, s)
	if err != nil {
		w.ssoFail(rw, r, "provisioning", err)
		return
	}
	w.renderConsole(rw, r, http.StatusOK, "admin_token_revoke", "provisioning", "Revoke token", console{SSO: &ssoPage{Token: tokenRowOf(langOf(r), t)}})
}

func (w *Web) consoleTokenRevoke(rw http.ResponseWriter, r *http.Request, s store.Session) {
	if _, err := w.st.RevokeSCIMToken(r.Context(), actorOf(r), s.OrgID, chi.URLParam(r, "id")); err != nil {
		w.ssoFail(rw, r, "provisioning", err)
		return
	}
	http.Redirect(rw, r, "/admin/provisioning?done=revoked", http.StatusSeeOther)
}

// copyField is a copyValue with the page's language, for template "copy".
type copyField struct {
	copyValue
	Lang string
}

func init() {
	funcs["copyOf"] = func(lang string, v copyValue) copyField { return copyField{v, lang} }
}
