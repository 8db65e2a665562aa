package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Store is what the provider needs from *store.Store.
type Store interface {
	ConnectionByID(ctx context.Context, id string) (store.Connection, error)
	SaveSSOFlow(ctx context.Context, key, connectionID string, data json.RawMessage, ttl time.Duration) error
	ConsumeSSOFlow(ctx context.Context, key string) (store.SSOFlow, error)
}

// Options configure the provider.
type Options struct {
	// BaseURL is idbridge's public URL; redirect URIs derive from it.
	BaseURL string
	// Sealer opens the client secrets kept in the settings.
	Sealer *sso.Sealer
	// Fetch bounds discovery and token requests; Fetch.AllowPrivate is the
	// operator's IDBRIDGE_ALLOW_PRIVATE_METADATA (and allows http issuers).
	Fetch sso.FetchOptions
	// FlowTTL is how long a started sign-in may take (default 10 minutes).
	FlowTTL time.Duration
	// DiscoveryTTL is how long discovery documents are cached (default 1 hour).
	DiscoveryTTL time.Duration
	Log          *slog.Logger
}

// Provider is the OpenID Connect relying party of every OIDC connection.
type Provider struct {
	st     Store
	fin    sso.Finisher
	opt    Options
	client *http.Client

	mu        sync.Mutex
	discovery map[string]discovered // issuer -> provider
}

type discovered struct {
	p        *oidc.Provider
	issParam bool // authorization_response_iss_parameter_supported (RFC 9207)
	at       time.Time
}

var (
	_ sso.Provider = (*Provider)(nil)
	_ Store        = (*store.Store)(nil)
)

// New returns the provider; fin receives verified sign-ins.
func New(st Store, fin sso.Finisher, opt Options) (*Provider, error) {
	base, err := sso.CheckProvider("oidc", opt.BaseURL, opt.Sealer)
	if err != nil {
		return nil, err
	}
	opt.BaseURL = base
	if opt.FlowTTL <= 0 {
		opt.FlowTTL = 10 * time.Minute
	}
	if opt.DiscoveryTTL <= 0 {
		opt.DiscoveryTTL = time.Hour
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Provider{st: st, fin: fin, opt: opt, client: opt.Fetch.HTTPClient(), discovery: map[string]discovered{}}, nil
}

// Kind implements sso.Provider.
func (p *Provider) Kind() store.ConnectionKind { return store.ConnectionOIDC }

// RedirectURL is the connection's one redirect URI.
func (p *Provider) RedirectURL(connectionID string) string {
	return p.opt.BaseURL + "/oidc/" + url.PathEscape(connectionID) + "/callback"
}

// Mount implements sso.Provider.
func (p *Provider) Mount(r chi.Router) {
	r.Get("/oidc/{connection}/callback", p.serveCallback)
}

// discover returns the issuer's provider, cached for DiscoveryTTL.
func (p *Provider) discover(ctx context.Context, issuer string, fresh bool) (discovered, error) {
	p.mu.Lock()
	d, ok := p.discovery[issuer]
	p.mu.Unlock()
	if ok && !fresh && time.Since(d.at) < p.opt.DiscoveryTTL {
		return d, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), issuer)
	if err != nil {
		return d, fmt.Errorf("oidc discovery: %w", err)
	}
	var extra struct {
		IssParam bool `json:"authorization_response_iss_parameter_supported"`
	}
	if err := op.Claims(&extra); err != nil {
		return d, fmt.Errorf("oidc discovery: %w", err)
	}
	d = discovered{p: op, issParam: extra.IssParam, at: time.Now()}
	p.mu.Lock()
	p.discovery[issuer] = d
	p.mu.Unlock()
	return d, nil
}

// config is the OAuth 2.0 client of a connection, with its secret opened.
func (p *Provider) config(ctx context.Context, c store.Connection) (*oauth2.Config, Settings, discovered, error) {
	s, err := ParseSettings(c.Settings)
	if err != nil {
		return nil, s, discovered{}, err
	}
	secret, err := p.opt.Sealer.Open(s.ClientSecretSealed, secretPurpose(s))
	if err != nil {
		return nil, s, discovered{}, fmt.Errorf("oidc: client secret: %w", err)
	}
	d, err := p.discover(ctx, s.Issuer, false)
	if err != nil {
		return nil, s, d, err
	}
	return &oauth2.Config{ClientID: s.ClientID, ClientSecret: string(secret), Endpoint: d.p.Endpoint(),
		RedirectURL: p.RedirectURL(c.ID), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}, s, d, nil
}

// flowData is what an OIDC flow keeps server-side.
type flowData struct {
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	// Browser is the hash of the secret in the starting browser's cookie.
	Browser  string `json:"browser"`
	ReturnTo string `json:"returnTo,omitempty"`
	Test     bool   `json:"test,omitempty"`
}

// binding ties a connection's flows to their browsers: the IdP sends the
// browser back with a top-level GET, which carries SameSite=Lax cookies.
func (p *Provider) binding(connectionID string) sso.Binding {
	return sso.NewBinding(p.RedirectURL(connectionID), false, p.opt.FlowTTL)
}

// flowKey stores a hash of the state: the database never holds a value that
// could be replayed at the callback.
func flowKey(state string) string {
	h := sha256.Sum256([]byte(state))
	return "oidc:" + base64.RawURLEncoding.EncodeToString(h[:])
}

// Start implements sso.Provider: the authorization code flow with state,
// nonce and PKCE (S256), all kept server-side and single-use.
func (p *Provider) Start(w http.ResponseWriter, r *http.Request, c store.Connection, returnTo string, test bool) error {
	cfg, _, _, err := p.config(r.Context(), c)
	if err != nil {
		return err
	}
	state, nonce, verifier := sso.RandomToken(32), sso.RandomToken(32), oauth2.GenerateVerifier()
	browser := p.binding(c.ID).Bind(w, state)
	data, err := json.Marshal(flowData{Nonce: nonce, Verifier: verifier, Browser: browser, ReturnTo: sso.LocalPath(returnTo), Test: test})
	if err != nil {
		return err
	}
	if err := p.st.SaveSSOFlow(r.Context(), flowKey(state), c.ID, data, p.opt.FlowTTL); err != nil {
		return fmt.Errorf("oidc: save flow: %w", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	return nil
}
