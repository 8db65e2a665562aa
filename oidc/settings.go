package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Settings is an OIDC connection's JSON (store.Connection.Settings).
type Settings struct {
	// Issuer is the OP's issuer URL; discovery is <issuer>/.well-known/openid-configuration.
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
	// ClientSecret is accepted as input only: Validate seals it into
	// ClientSecretSealed and never stores, logs or returns it.
	ClientSecret       string `json:"clientSecret,omitempty"`
	ClientSecretSealed string `json:"clientSecretSealed,omitempty"`
	// JIT creates accounts on first sign-in (read by package web).
	JIT bool `json:"jit,omitempty"`
}

// ParseSettings reads a connection's settings JSON.
func ParseSettings(raw []byte) (Settings, error) {
	var s Settings
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("oidc settings: %w", err)
	}
	return s, nil
}

// Public returns the settings without any form of the client secret, for
// admin pages and APIs.
func Public(raw []byte) ([]byte, error) {
	s, err := ParseSettings(raw)
	if err != nil {
		return nil, err
	}
	s.ClientSecret, s.ClientSecretSealed = "", ""
	return json.Marshal(s)
}

func secretPurpose(s Settings) string { return "oidc client secret " + s.Issuer + " " + s.ClientID }

// Validate implements sso.Provider: it checks the issuer by discovery (with
// the fetch limits and address policy) and seals the client secret.
func (p *Provider) Validate(ctx context.Context, raw []byte) ([]byte, error) {
	s, err := ParseSettings(raw)
	if err != nil {
		return nil, err
	}
	s.Issuer = strings.TrimSpace(s.Issuer)
	s.ClientID = strings.TrimSpace(s.ClientID)
	u, err := url.Parse(s.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && p.opt.Fetch.AllowPrivate)) ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("oidc settings: the issuer must be an https URL without query or fragment")
	}
	if s.ClientID == "" {
		return nil, errors.New("oidc settings: clientId is required")
	}
	if s.ClientSecret != "" {
		s.ClientSecretSealed = p.opt.Sealer.Seal([]byte(s.ClientSecret), secretPurpose(s))
		s.ClientSecret = ""
	}
	if s.ClientSecretSealed == "" {
		return nil, errors.New("oidc settings: clientSecret is required")
	}
	if _, err := p.opt.Sealer.Open(s.ClientSecretSealed, secretPurpose(s)); err != nil {
		return nil, errors.New("oidc settings: the stored client secret belongs to another issuer or client id; enter it again")
	}
	if _, err := p.discover(ctx, s.Issuer, true); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}
