// Package provider makes idbridge the OpenID Provider of the platform's own
// applications: an app registered with `idbridge app create` sends the
// browser to /oauth/authorize, the person signs in through idbridge (a
// password, or their company's SAML or OIDC IdP), and the app receives an
// ID token for that person in one org, with the org and the person's rights
// as claims. Built on github.com/zitadel/oidc/v3 (package op) over the store:
// authorization requests, codes, tokens and signing keys live in the
// database, so replicas share them.
package provider

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Paths of the provider, under the issuer (the base URL).
const (
	LoginPath      = "/oauth/login"
	AuthorizePath  = "/oauth/authorize"
	TokenPath      = "/oauth/token"
	UserinfoPath   = "/oauth/userinfo"
	RevokePath     = "/oauth/revoke"
	IntrospectPath = "/oauth/introspect"
	EndSessionPath = "/oauth/end_session"
	KeysPath       = "/oauth/keys"
)

// Sessions reads the idbridge session of a browser (the web package).
type Sessions interface {
	CurrentSession(r *http.Request) (store.Session, bool)
	EndCurrentSession(w http.ResponseWriter, r *http.Request) error
}

// Options configure the provider.
type Options struct {
	// BaseURL is the issuer; http is accepted for development and tests.
	BaseURL string
	// SecretKey is the server's IDBRIDGE_SECRET_KEY (at least 32 bytes): it
	// seals the signing keys and encrypts the access tokens and codes.
	SecretKey []byte
	Sessions  Sessions
	// Limits are the token lifetimes (default store.DefaultOAuthLimits).
	Limits store.OAuthLimits
	// IDTokenLifetime defaults to 15 minutes.
	IDTokenLifetime time.Duration
	Log             *slog.Logger
}

// Provider serves the OpenID Provider's routes.
type Provider struct {
	st   *store.Store
	opt  Options
	op   *op.Provider
	stor *storage
	log  *slog.Logger
	// sameOrigin accepts the sign-out confirmation only from our own page.
	sameOrigin *http.CrossOriginProtection

	discoOnce sync.Once
	disco     []byte
	discoErr  error
}

// New returns the provider over st.
func New(st *store.Store, opt Options) (*Provider, error) {
	if opt.Sessions == nil {
		return nil, errors.New("provider: no session reader")
	}
	if opt.Limits == (store.OAuthLimits{}) {
		opt.Limits = store.DefaultOAuthLimits
	}
	if opt.IDTokenLifetime <= 0 {
		opt.IDTokenLifetime = 15 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	sealer, err := sso.NewSealer(opt.SecretKey)
	if err != nil {
		return nil, err
	}
	tokenKey, err := hkdf.Key(sha256.New, opt.SecretKey, nil, "idbridge oauth tokens v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	stor := &storage{keys: &keys{st: st, sealer: sealer, keep: opt.IDTokenLifetime}, st: st, limits: opt.Limits, idTokenTTL: opt.IDTokenLifetime, loginPath: LoginPath}
	cfg := &op.Config{
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess, scopeGroups},
		SupportedClaims: append(append([]string{}, op.DefaultSupportedClaims...),
			"sid", "org_id", "org_name", "user_type", "subscription", "reports_role", "groups"),
	}
	copy(cfg.CryptoKey[:], tokenKey)
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint(AuthorizePath)),
		op.WithCustomTokenEndpoint(op.NewEndpoint(TokenPath)),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint(UserinfoPath)),
		op.WithCustomRevocationEndpoint(op.NewEndpoint(RevokePath)),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(IntrospectPath)),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint(EndSessionPath)),
		op.WithCustomKeysEndpoint(op.NewEndpoint(KeysPath)),
		// Apps call the token, userinfo and keys endpoints from anywhere,
		// but never with the browser's cookies.
		op.WithCORSOptions(&cors.Options{AllowOriginFunc: func(string) bool { return true },
			AllowedHeaders: []string{"Accept", "Authorization", "Content-Type"},
			AllowedMethods: []string{http.MethodGet, http.MethodPost}}),
	}
	if strings.HasPrefix(opt.BaseURL, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	o, err := op.NewProvider(cfg, stor, op.StaticIssuer(opt.BaseURL), opts...)
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	return &Provider{st: st, opt: opt, op: o, stor: stor, log: opt.Log, sameOrigin: http.NewCrossOriginProtection()}, nil
}

// Mount adds the provider's routes to r: discovery, /oauth/... and the
// sign-in bridge.
func (p *Provider) Mount(r chi.Router) {
	r.Get(AuthorizePath, p.authorize)
	r.Post(AuthorizePath, p.authorize)
	r.Get(LoginPath, p.login)
	r.Get(EndSessionPath, p.endSession)
	r.Post(EndSessionPath, p.endSession)
	r.Get(oidc.DiscoveryEndpoint, p.discovery)
	r.Handle("/oauth/*", p.opHandler())
}

// discovery answers /.well-known/openid-configuration from memory: op's
// document, narrowed to what idbridge does (the code flow with PKCE S256,
// refresh tokens; no implicit or hybrid flow).
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	p.discoOnce.Do(func() {
		ctx := op.ContextWithIssuer(r.Context(), p.opt.BaseURL)
		d := op.CreateDiscoveryConfig(ctx, p.op, p.stor)
		d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
		d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFormPost)}
		d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
		d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
		d.RequestParameterSupported = false
		p.disco, p.discoErr = json.Marshal(d)
	})
	if p.discoErr != nil {
		http.Error(w, "discovery unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(p.disco)
}

// opHandler runs op's own router on a fresh routing context.
func (p *Provider) opHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, nil))
		p.op.ServeHTTP(w, r)
	})
}

// browserCookie names the cookie that ties authorization requests to the
// browser that started them: a random secret, of which each request keeps
// the hash. One secret per browser, so sign-ins in several tabs all work.
func (p *Provider) browserCookie() string {
	if strings.HasPrefix(p.opt.BaseURL, "https://") {
		return "__Host-idb_oauth"
	}
	return "idb_oauth"
}

type browserHashKey struct{}

// authorize gives the browser its secret (or keeps the one it has) and lets
// op store the request with the secret's hash (storage.CreateAuthRequest).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	secret := ""
	if c, err := r.Cookie(p.browserCookie()); err == nil && len(c.Value) == 26 {
		secret = c.Value
	} else {
		secret = rand.Text() // 26 characters, 130 bits
	}
	http.SetCookie(w, &http.Cookie{Name: p.browserCookie(), Value: secret, Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(p.opt.BaseURL, "https://"), SameSite: http.SameSiteLaxMode, MaxAge: int(authRequestTTL.Seconds())})
	h := sha256.Sum256([]byte(secret))
	ctx := context.WithValue(r.Context(), browserHashKey{}, h[:])
	// op reads only the standard parameters; ours travel with the request.
	ctx = context.WithValue(ctx, hintsKey{}, hints{Org: limit(r.FormValue("org_hint"), 64), Domain: limit(r.FormValue("domain_hint"), 253)})
	p.opHandler().ServeHTTP(w, r.WithContext(ctx))
}

type hintsKey struct{}

// hints are the org_hint and domain_hint of an authorization request.
type hints struct{ Org, Domain string }

// limit returns s, or "" when longer than n.
func limit(s string, n int) string {
	if s = strings.TrimSpace(s); len(s) > n {
		return ""
	}
	return s
}

// signInURL is /login with the request's way back and its hints, which
// skip the email-or-domain step.
func signInURL(a *authRequest) string {
	q := url.Values{"return_to": {LoginPath + "?id=" + url.QueryEscape(a.ID)}}
	for k, v := range map[string]string{"login_hint": a.LoginHint, "org_hint": a.OrgHint, "domain_hint": a.DomainHint} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return "/login?" + q.Encode()
}

// sameBrowser reports whether the request was started by this browser.
func (p *Provider) sameBrowser(r *http.Request, a *authRequest) bool {
	c, err := r.Cookie(p.browserCookie())
	if err != nil || len(a.Browser) == 0 {
		return false
	}
	h := sha256.Sum256([]byte(c.Value))
	return subtle.ConstantTimeCompare(h[:], a.Browser) == 1
}

// login is where op sends the browser with a stored authorization request:
// without an idbridge session it goes through /login and comes back here;
// with one, the request is bound to the session's person and org and the
// app receives its code.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	a, err := loadAuthRequest(ctx, p.st, id)
	if err != nil || a.IsDone {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.log.Error("oauth.login_failed", "err", err)
		}
		errorPage(w, http.StatusBadRequest, "This sign-in request is unknown or expired. Go back to the application and sign in again.")
		return
	}
	if !p.sameBrowser(r, a) {
		p.log.Warn("oauth.login_other_browser", "app_id", a.ClientID)
		errorPage(w, http.StatusBadRequest, "This sign-in request was started in another browser. Go back to the application and sign in again.")
		return
	}
	sess, ok := p.opt.Sessions.CurrentSession(r)
	// A session in another org than the app's org_hint signs in again.
	if !ok || (a.OrgHint != "" && a.OrgHint != sess.OrgID) {
		if containsPrompt(a.Prompt, oidc.PromptNone) {
			op.AuthRequestError(w, r, a, oidc.ErrLoginRequired(), p.op)
			return
		}
		http.Redirect(w, r, signInURL(a), http.StatusSeeOther)
		return
	}
	app, err := p.st.GetApp(ctx, a.ClientID)
	if err != nil {
		op.AuthRequestError(w, r, a, oidc.ErrServerError().WithParent(err), p.op)
		return
	}
	if !app.AllowsOrg(sess.OrgID) {
		op.AuthRequestError(w, r, a, oidc.ErrAccessDenied().WithDescription("this application is not open to your organization"), p.op)
		return
	}
	amr, err := p.amr(ctx, sess)
	if err != nil {
		op.AuthRequestError(w, r, a, oidc.ErrServerError().WithParent(err), p.op)
		return
	}
	a.AccountID, a.OrgID, a.SessionID, a.AMR, a.AuthTime, a.IsDone = sess.AccountID, sess.OrgID, sessionID(sess), amr, sess.CreatedAt, true
	data, err := a.data()
	if err == nil {
		err = p.st.UpdateAuthRequest(ctx, a.ID, data, "", 0)
	}
	if err != nil {
		op.AuthRequestError(w, r, a, oidc.ErrServerError().WithParent(err), p.op)
		return
	}
	op.AuthResponse(a, p.op, w, r.WithContext(op.ContextWithIssuer(ctx, p.opt.BaseURL)))
}

func containsPrompt(ps []string, p string) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// amr is how the session signed in: a password, or the SSO protocol.
func (p *Provider) amr(ctx context.Context, s store.Session) ([]string, error) {
	if s.ConnectionID == "" {
		return []string{"pwd"}, nil
	}
	c, err := p.st.ConnectionByID(ctx, s.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return []string{"sso"}, nil
	}
	if err != nil {
		return nil, err
	}
	return []string{string(c.Kind)}, nil
}

// sessionID is the sid claim of a session: derived from its hash, so it
// names the session without revealing anything that opens it.
func sessionID(s store.Session) string {
	h := sha256.Sum256(append([]byte("idbridge sid "), s.Hash...))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

// endSession is RP-initiated logout. op validates the request first
// (id_token_hint signature and issuer, post_logout_redirect_uri against the
// app's list, state); the browser's idbridge session then ends only when
// the hint names the session's own account, or when the person confirmed on
// our page (a same-origin POST). Anything else asks first: a link or a
// cross-site form cannot sign a person out.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := op.ContextWithIssuer(r.Context(), p.opt.BaseURL)
	r = r.WithContext(ctx)
	req, err := op.ParseEndSessionRequest(r, p.op.Decoder())
	if err == nil {
		var es *op.EndSessionRequest
		if es, err = op.ValidateEndSessionRequest(ctx, req, p.op); err == nil {
			p.finishEndSession(w, r, req, es)
			return
		}
	}
	msg := "This sign-out request is not valid."
	var oe *oidc.Error
	if errors.As(err, &oe) && oe.Description != "" {
		msg += " (" + oe.Description + ")"
	}
	errorPage(w, http.StatusBadRequest, msg)
}

// finishEndSession ends the session of a validated request, or asks.
func (p *Provider) finishEndSession(w http.ResponseWriter, r *http.Request, req *oidc.EndSessionRequest, es *op.EndSessionRequest) {
	redirect := es.RedirectURI
	if redirect == "" {
		redirect = "/"
	}
	sess, ok := p.opt.Sessions.CurrentSession(r)
	if ok {
		hinted := es.IDTokenHintClaims != nil && es.IDTokenHintClaims.GetSubject() == sess.AccountID
		confirmed := r.Method == http.MethodPost && r.PostForm.Get("confirm") != "" && p.sameOrigin.Check(r) == nil
		if !hinted && !confirmed {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Frame-Options", "DENY")
			_ = confirmTmpl.Execute(w, map[string]string{"Action": EndSessionPath, "ClientID": es.ClientID,
				"PostLogoutRedirectURI": req.PostLogoutRedirectURI, "State": req.State})
			return
		}
		if err := p.opt.Sessions.EndCurrentSession(w, r); err != nil {
			p.log.Error("oauth.end_session_failed", "err", err)
			errorPage(w, http.StatusInternalServerError, "Signing out failed. Try again.")
			return
		}
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

var confirmTmpl = template.Must(template.New("c").Parse(`<!doctype html><html><head><meta charset="utf-8"><title>Sign out</title></head>` +
	`<body><h1>Sign out of idbridge?</h1><form method="post" action="{{.Action}}">` +
	`{{with .ClientID}}<input type="hidden" name="client_id" value="{{.}}">{{end}}` +
	`{{with .PostLogoutRedirectURI}}<input type="hidden" name="post_logout_redirect_uri" value="{{.}}">{{end}}` +
	`{{with .State}}<input type="hidden" name="state" value="{{.}}">{{end}}` +
	`<button type="submit" name="confirm" value="1">Sign out</button></form></body></html>`))

var errorTmpl = template.Must(template.New("e").Parse(`<!doctype html><html><head><meta charset="utf-8"><title>Sign-in error</title></head>` +
	`<body><h1>Sign-in error</h1><p>{{.}}</p></body></html>`))

// errorPage answers a request that cannot go back to the app.
func errorPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorTmpl.Execute(w, msg)
}

// FromConfig builds the provider of the server's configuration.
func FromConfig(st *store.Store, cfg config.Config, sessions Sessions, log *slog.Logger) (*Provider, error) {
	if cfg.SecretKey == "" {
		c, _, err := cfg.EnsureSecretKey()
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	return New(st, Options{BaseURL: cfg.BaseURL, SecretKey: []byte(cfg.SecretKey.Reveal()), Sessions: sessions, Log: log})
}
