package server

import (
	"context"
	"time"

	"github.com/idbridge/idbridge/store"
)

// Maintenance intervals: expired SSO flow state and replay records are purged
// often; SAML IdP metadata fetched from a URL is refreshed a few times a day
// (IdPs rotate their signing certificates).
const (
	purgeEvery   = 10 * time.Minute
	refreshEvery = 6 * time.Hour
)

// refresher is a provider that re-fetches IdP metadata (saml.Provider).
type refresher interface {
	Refresh(ctx context.Context, conns []store.Connection) error
}

// maintain runs the periodic housekeeping until ctx ends.
func (s *Server) maintain(ctx context.Context) {
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	refresh := time.NewTicker(refreshEvery)
	defer refresh.Stop()
	s.refreshMetadata(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-purge.C:
			if n, err := s.store.PurgeSSO(ctx); err != nil {
				s.log.Warn("sso.purge_failed", "err", err)
			} else if n > 0 {
				s.log.Info("sso.purged", "rows", n)
			}
			if n, err := s.store.PurgeEvents(ctx, store.EventRetention); err != nil {
				s.log.Warn("events.purge_failed", "err", err)
			} else if n > 0 {
				s.log.Info("events.purged", "rows", n)
			}
			s.purgeLogs(ctx)
			if n, err := s.store.PurgeOAuth(ctx); err != nil {
				s.log.Warn("oauth.purge_failed", "err", err)
			} else if n > 0 {
				s.log.Info("oauth.purged", "rows", n)
			}
		case <-refresh.C:
			s.refreshMetadata(ctx)
		}
	}
}

// purgeLogs deletes SCIM request log records and sign-in attempts older
// than the configured retention.
func (s *Server) purgeLogs(ctx context.Context) {
	keep := s.cfg.SCIMLogRetention
	if keep <= 0 {
		keep = store.SCIMLogRetention
	}
	if n, err := s.store.PurgeSCIMRequests(ctx, keep); err != nil {
		s.log.Warn("scim_log.purge_failed", "err", err)
	} else if n > 0 {
		s.log.Info("scim_log.purged", "rows", n)
	}
	if n, err := s.store.PurgeSignInAttempts(ctx, keep); err != nil {
		s.log.Warn("sign_ins.purge_failed", "err", err)
	} else if n > 0 {
		s.log.Info("sign_ins.purged", "rows", n)
	}
}

// refreshMetadata asks every provider that can to re-fetch its IdP metadata.
func (s *Server) refreshMetadata(ctx context.Context) {
	if s.web == nil {
		return
	}
	var conns []store.Connection
	for _, p := range s.web.Providers() {
		r, ok := p.(refresher)
		if !ok {
			continue
		}
		if conns == nil {
			orgs, err := s.store.ListOrgs(ctx, "")
			if err != nil {
				s.log.Warn("sso.refresh_failed", "err", err)
				return
			}
			conns = []store.Connection{}
			for _, o := range orgs {
				cs, err := s.store.ListConnections(ctx, o.ID)
				if err != nil {
					s.log.Warn("sso.refresh_failed", "org_id", o.ID, "err", err)
					continue
				}
				conns = append(conns, cs...)
			}
		}
		_ = r.Refresh(ctx, conns) // failures are logged per connection and keep the old metadata
	}
}
