package web

import (
	"log/slog"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/oidc"
	"github.com/idbridge/idbridge/saml"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// FromConfig is the server's Web: the pages and admin API, with the SAML and
// OIDC providers of the configuration and this Web as their Finisher. A
// provider that cannot be built (no usable secret key) is logged and left
// out: password sign-in keeps working, and SSO sign-in through that protocol
// says it is not available here.
func FromConfig(st *store.Store, cfg config.Config, log *slog.Logger) *Web {
	w := New(st, OptionsFrom(cfg), log)
	if cfg.SecretKey == "" {
		c, created, err := cfg.EnsureSecretKey()
		if err != nil {
			w.log.Error("sso.secret_key_unavailable", "err", err)
			return w
		}
		if created {
			w.log.Warn("sso.dev_secret_key_created", "dir", cfg.DataDir, "hint", "set IDBRIDGE_SECRET_KEY, the same on every replica")
		}
		cfg = c
	}
	sealer, err := sso.NewSealer([]byte(cfg.SecretKey.Reveal()))
	if err != nil {
		w.log.Error("sso.providers_disabled", "err", err)
		return w
	}
	fetch := sso.FetchOptions{AllowPrivate: cfg.AllowPrivateMetadata}
	if p, err := saml.New(st, w, saml.Options{BaseURL: cfg.BaseURL, Sealer: sealer, Fetch: fetch, Log: w.log}); err != nil {
		w.log.Error("sso.saml_disabled", "err", err)
	} else {
		w.AddProvider(p)
	}
	if p, err := oidc.New(st, w, oidc.Options{BaseURL: cfg.BaseURL, Sealer: sealer, Fetch: fetch, Log: w.log}); err != nil {
		w.log.Error("sso.oidc_disabled", "err", err)
	} else {
		w.AddProvider(p)
	}
	return w
}
