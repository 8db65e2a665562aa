package saml

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idbridge/idbridge/store"
)

type refreshedMeta struct {
	url string
	xml []byte
	at  time.Time
}

// Refresh fetches again the IdP metadata of the SAML connections that were
// configured with a URL (IdPs rotate their certificates) and, when it is
// valid, uses it instead of the stored copy from then on. The server calls
// it periodically (every few hours); each replica refreshes its own copy, so
// nothing is written to the database and a refresh never touches a
// connection's recorded test. A failed fetch keeps the previous metadata.
func (p *Provider) Refresh(ctx context.Context, conns []store.Connection) error {
	var errs []error
	for _, c := range conns {
		if c.Kind != store.ConnectionSAML {
			continue
		}
		s, err := ParseSettings(c.Settings)
		if err != nil || s.IDPMetadataURL == "" {
			continue
		}
		body, err := p.opt.Fetch.Fetch(ctx, s.IDPMetadataURL)
		if err == nil {
			_, err = parseIDPMetadata(body)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("connection %s: %w", c.ID, err))
			p.opt.Log.Warn("saml.metadata_refresh_failed", "connection_id", c.ID, "err", err)
			continue
		}
		p.mu.Lock()
		p.fresh[c.ID] = refreshedMeta{url: s.IDPMetadataURL, xml: body, at: time.Now()}
		p.mu.Unlock()
	}
	return errors.Join(errs...)
}
