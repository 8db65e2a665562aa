package store

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// App is an application of the platform registered to sign people in
// through idbridge (an OAuth 2.0 client of the OpenID Provider). ID is its
// client_id.
type App struct {
	ID   string
	Name string
	// SecretHash is the SHA-256 of the client secret; nil for a public
	// client (a single-page or native app, which proves itself with PKCE alone).
	SecretHash []byte
	// RedirectURIs are matched exactly.
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// OrgIDs restricts sign-ins to these orgs; empty allows every org.
	OrgIDs    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Public reports whether the app has no secret.
func (a App) Public() bool { return len(a.SecretHash) == 0 }

// AllowsOrg reports whether people of the org may sign in to the app.
func (a App) AllowsOrg(orgID string) bool {
	return len(a.OrgIDs) == 0 || slices.Contains(a.OrgIDs, orgID)
}

// NewApp is what registering an app takes.
type NewApp struct {
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// Public apps get no secret.
	Public bool
	// OrgIDs are ids of existing orgs; empty allows every org.
	OrgIDs []string
}

// appSecretPrefix starts every client secret, so that a leaked one is recognisable.
const appSecretPrefix = "idbcs_"

// checkApp validates and normalizes a new app's fields.
func checkApp(in *NewApp) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len([]rune(in.Name)) > 200 {
		return invalid("name", "a name of 1 to 200 characters is required")
	}
	if len(in.RedirectURIs) == 0 {
		return invalid("redirect_uri", "at least one redirect URI is required")
	}
	for _, list := range [][]string{in.RedirectURIs, in.PostLogoutRedirectURIs} {
		if len(list) > 20 {
			return invalid("redirect_uri", "at most 20 redirect URIs")
		}
		for _, u := range list {
			if err := checkRedirectURI(u); err != nil {
				return err
			}
		}
	}
	in.RedirectURIs = dedupe(in.RedirectURIs)
	in.PostLogoutRedirectURIs = dedupe(in.PostLogoutRedirectURIs)
	in.OrgIDs = dedupe(in.OrgIDs)
	return nil
}

func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkRedirectURI accepts an absolute https URL without a fragment, or
// http on a loopback host (development and native apps).
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || strings.Contains(s, "#") || u.User != nil || len(s) > 2000 {
		return invalid("redirect_uri", "%q is not an absolute URL without a fragment", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if h == "localhost" || net.ParseIP(h).IsLoopback() {
			return nil
		}
	}
	return invalid("redirect_uri", "%q must be https (http only on localhost)", s)
}

func appView(a App) map[string]any {
	return map[string]any{"name": a.Name, "public": a.Public(), "redirectUris": a.RedirectURIs,
		"postLogoutRedirectUris": a.PostLogoutRedirectURIs, "orgIds": a.OrgIDs}
}

// authorizeApps: registering applications belongs to platform support.
func authorizeApps(actor Actor) error {
	if actor.Kind != ActorSupport && actor.Kind != ActorSystem {
		return fmt.Errorf("%w: only platform support manages applications", ErrForbidden)
	}
	return nil
}

// CreateApp registers an app and returns it with its client secret (empty
// for a public app), shown this once: only its hash is kept.
func (s *Store) CreateApp(ctx context.Context, actor Actor, in NewApp) (App, string, error) {
	if err := authorizeApps(actor); err != nil {
		return App{}, "", err
	}
	if err := checkApp(&in); err != nil {
		return App{}, "", err
	}
	var secret string
	var hash []byte
	if !in.Public {
		var err error
		if secret, hash, err = NewSecret(appSecretPrefix); err != nil {
			return App{}, "", err
		}
	}
	var a App
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		for _, id := range in.OrgIDs {
			if _, err := tx.GetOrg(ctx, id, LockShare); err != nil {
				if isNotFound(err) {
					return invalid("org", "no organization %q", id)
				}
				return err
			}
		}
		a = App{ID: newID(), Name: in.Name, SecretHash: hash, RedirectURIs: in.RedirectURIs,
			PostLogoutRedirectURIs: in.PostLogoutRedirectURIs, OrgIDs: in.OrgIDs, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertApp(ctx, a); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "app.create", "app", a.ID, nil, appView(a))
	})
	if err != nil {
		return App{}, "", err
	}
	return a, secret, nil
}

// GetApp returns a registered app; an unknown or malformed id is ErrNotFound.
func (s *Store) GetApp(ctx context.Context, id string) (a App, err error) {
	err = s.read(ctx, func(tx Tx) error { a, err = tx.GetApp(ctx, id, LockNone); return err })
	return a, err
}

// ListApps lists the registered apps by name.
func (s *Store) ListApps(ctx context.Context) (as []App, err error) {
	err = s.read(ctx, func(tx Tx) error { as, err = tx.ListApps(ctx); return err })
	return as, err
}

// RotateAppSecret gives a confidential app a new secret (returned once);
// the old one stops working at once.
func (s *Store) RotateAppSecret(ctx context.Context, actor Actor, id string) (string, error) {
	if err := authorizeApps(actor); err != nil {
		return "", err
	}
	secret, hash, err := NewSecret(appSecretPrefix)
	if err != nil {
		return "", err
	}
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		a, err := tx.GetApp(ctx, id, LockUpdate)
		if err != nil {
			return err
		}
		if a.Public() {
			return invalid("app", "a public app has no secret")
		}
		a.SecretHash, a.UpdatedAt = hash, now
		if err := tx.UpdateApp(ctx, a); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "app.rotate_secret", "app", a.ID, nil, nil)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// DeleteApp removes an app with every token it holds.
func (s *Store) DeleteApp(ctx context.Context, actor Actor, id string) error {
	if err := authorizeApps(actor); err != nil {
		return err
	}
	return s.write(ctx, func(tx Tx, now time.Time) error {
		a, err := tx.GetApp(ctx, id, LockUpdate)
		if err != nil {
			return err
		}
		if err := tx.DeleteApp(ctx, a.ID); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "", "app.delete", "app", a.ID, appView(a), nil)
	})
}

// ErrAppSecret answers an unknown app or a wrong client secret.
var ErrAppSecret = fmt.Errorf("%w: unknown application or wrong client secret", ErrUnauthenticated)

// CheckAppSecret returns the confidential app when secret is its client
// secret, else ErrAppSecret.
func (s *Store) CheckAppSecret(ctx context.Context, id, secret string) (App, error) {
	a, err := s.GetApp(ctx, id)
	if isNotFound(err) {
		return App{}, ErrAppSecret
	}
	if err != nil {
		return App{}, err
	}
	if a.Public() || secret == "" || subtle.ConstantTimeCompare(HashSecret(secret), a.SecretHash) != 1 {
		return App{}, ErrAppSecret
	}
	return a, nil
}
