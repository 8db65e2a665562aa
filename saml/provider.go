package saml

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/crewjam/saml"
	"github.com/go-chi/chi/v5"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Store is what the provider needs from *store.Store.
type Store interface {
	ConnectionByID(ctx context.Context, id string) (store.Connection, error)
	SaveSSOFlow(ctx context.Context, key, connectionID string, data json.RawMessage, ttl time.Duration) error
	ConsumeSSOFlow(ctx context.Context, key string) (store.SSOFlow, error)
	UseAssertionID(ctx context.Context, connectionID, assertionID string, expiresAt time.Time) error
}

// Options configure the provider.
type Options struct {
	// BaseURL is idbridge's public URL; entity ids and ACS URLs derive from it.
	BaseURL string
	// Sealer opens the SP private keys kept in the settings.
	Sealer *sso.Sealer
	// Fetch bounds IdP metadata fetches; Fetch.AllowPrivate is the
	// operator's IDBRIDGE_ALLOW_PRIVATE_METADATA.
	Fetch sso.FetchOptions
	// FlowTTL is how long a started sign-in may take (default 10 minutes).
	FlowTTL time.Duration
	// MaxResponseBytes caps the decoded SAMLResponse (default 256 KiB).
	MaxResponseBytes int
	Log              *slog.Logger
}

// Provider is the SAML 2.0 service provider of every SAML connection.
type Provider struct {
	st  Store
	fin sso.Finisher
	opt Options

	mu    sync.Mutex
	cache map[string]cachedSP      // connection id -> SP built from its settings
	fresh map[string]refreshedMeta // connection id -> metadata fetched by Refresh
}

type cachedSP struct {
	updatedAt time.Time
	metaAt    time.Time
	sp        *saml.ServiceProvider
	settings  Settings
}

var (
	_ sso.Provider = (*Provider)(nil)
	_ Store        = (*store.Store)(nil)
)

// New returns the provider; fin receives verified sign-ins.
func New(st Store, fin sso.Finisher, opt Options) (*Provider, error) {
	base, err := sso.CheckProvider("saml", opt.BaseURL, opt.Sealer)
	if err != nil {
		return nil, err
	}
	opt.BaseURL = base
	if opt.FlowTTL <= 0 {
		opt.FlowTTL = 10 * time.Minute
	}
	if opt.MaxResponseBytes <= 0 {
		opt.MaxResponseBytes = 256 << 10
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Provider{st: st, fin: fin, opt: opt, cache: map[string]cachedSP{}, fresh: map[string]refreshedMeta{}}, nil
}

// Kind implements sso.Provider.
func (p *Provider) Kind() store.ConnectionKind { return store.ConnectionSAML }

// EntityID is our SP entity id for a connection (also its metadata URL).
func (p *Provider) EntityID(connectionID string) string {
	return p.opt.BaseURL + "/saml/" + url.PathEscape(connectionID) + "/metadata"
}

// ACSURL is the connection's assertion consumer service URL.
func (p *Provider) ACSURL(connectionID string) string {
	return p.opt.BaseURL + "/saml/" + url.PathEscape(connectionID) + "/acs"
}

// Mount implements sso.Provider.
func (p *Provider) Mount(r chi.Router) {
	r.Get("/saml/{connection}/metadata", p.serveMetadata)
	r.Post("/saml/{connection}/acs", p.serveACS)
}

// connection loads a SAML connection named by the URL.
func (p *Provider) connection(r *http.Request) (store.Connection, error) {
	c, err := p.st.ConnectionByID(r.Context(), chi.URLParam(r, "connection"))
	if err != nil {
		return c, err
	}
	if c.Kind != store.ConnectionSAML {
		return store.Connection{}, store.ErrNotFound
	}
	return c, nil
}

func (p *Provider) serveMetadata(w http.ResponseWriter, r *http.Request) {
	c, err := p.connection(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	sp, _, err := p.serviceProvider(c)
	if err != nil {
		p.opt.Log.Error("saml.metadata_failed", "connection_id", c.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	md := sp.Metadata()
	// Only the HTTP-POST binding: artifact resolution is not offered.
	for i := range md.SPSSODescriptors {
		acs := md.SPSSODescriptors[i].AssertionConsumerServices[:0]
		for _, e := range md.SPSSODescriptors[i].AssertionConsumerServices {
			if e.Binding == saml.HTTPPostBinding {
				acs = append(acs, e)
			}
		}
		md.SPSSODescriptors[i].AssertionConsumerServices = acs
	}
	buf, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(append([]byte(xml.Header), buf...))
}

// serviceProvider builds (or reuses) the crewjam SP of a connection.
func (p *Provider) serviceProvider(c store.Connection) (*saml.ServiceProvider, Settings, error) {
	p.mu.Lock()
	cached, ok := p.cache[c.ID]
	fresh, hasFresh := p.fresh[c.ID]
	p.mu.Unlock()
	if ok && cached.updatedAt.Equal(c.UpdatedAt) && (!hasFresh || cached.metaAt.Equal(fresh.at)) {
		return cached.sp, cached.settings, nil
	}
	s, err := ParseSettings(c.Settings)
	if err != nil {
		return nil, s, err
	}
	metaXML := []byte(s.IDPMetadataXML)
	if hasFresh && fresh.url == s.IDPMetadataURL && fresh.at.After(c.UpdatedAt) {
		metaXML = fresh.xml
	}
	idp, err := parseIDPMetadata(metaXML)
	if err != nil {
		return nil, s, err
	}
	cert, key, err := p.openKeyPair(s)
	if err != nil {
		return nil, s, err
	}
	entityID := p.EntityID(c.ID)
	mdURL, _ := url.Parse(entityID)
	acsURL, _ := url.Parse(p.ACSURL(c.ID))
	sp := &saml.ServiceProvider{
		EntityID:          entityID,
		Key:               key,
		Certificate:       cert,
		MetadataURL:       *mdURL,
		AcsURL:            *acsURL,
		IDPMetadata:       idp,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		SignatureMethod:   dsig.RSASHA256SignatureMethod,
		AllowIDPInitiated: false, // decided per response in acs.go
		SignatureVerifier: verifier{},
		HTTPClient:        p.opt.Fetch.HTTPClient(),
	}
	sp.ValidateAudienceRestriction = func(a *saml.Assertion) error { return requireAudience(a, entityID) }
	p.mu.Lock()
	p.cache[c.ID] = cachedSP{updatedAt: c.UpdatedAt, metaAt: fresh.at, sp: sp, settings: s}
	p.mu.Unlock()
	return sp, s, nil
}

// requireAudience: crewjam accepts an assertion without AudienceRestriction;
// we require one, and every one present must name this connection's entity id.
func requireAudience(a *saml.Assertion, entityID string) error {
	if a.Conditions == nil || len(a.Conditions.AudienceRestrictions) == 0 {
		return ErrWrongAudience
	}
	for _, ar := range a.Conditions.AudienceRestrictions {
		if ar.Audience.Value != entityID {
			return ErrWrongAudience
		}
	}
	return nil
}

// flowData is what a SAML flow keeps server-side.
type flowData struct {
	Relay string `json:"relay"`
	// Browser is the hash of the secret in the starting browser's cookie.
	Browser  string `json:"browser"`
	ReturnTo string `json:"returnTo,omitempty"`
	Test     bool   `json:"test,omitempty"`
}

// binding ties a connection's SP-initiated flows to their browsers: the
// IdP's POST to the ACS is cross-site.
func (p *Provider) binding(connectionID string) sso.Binding {
	return sso.NewBinding(p.ACSURL(connectionID), true, p.opt.FlowTTL)
}

func flowKey(requestID string) string { return "saml:" + requestID }
