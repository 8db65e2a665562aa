package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Refusals at the callback; none carries provider text.
var (
	ErrState          = errors.New("oidc: unknown, used or expired state (the sign-in was not started here, or already finished)")
	ErrIssuerMismatch = errors.New("oidc: the authorization response names another issuer (RFC 9207 mix-up protection)")
	ErrNonce          = errors.New("oidc: the ID token's nonce does not match this sign-in")
	ErrAZP            = errors.New("oidc: the ID token was issued to another client (azp)")
	ErrSubject        = errors.New("oidc: userinfo is about another subject than the ID token")
	ErrDenied         = errors.New("oidc: the identity provider did not sign the person in")
	ErrNoIDToken      = errors.New("oidc: the token response has no ID token")
	ErrExchange       = errors.New("oidc: the code was refused by the identity provider")
)

func (p *Provider) serveCallback(w http.ResponseWriter, r *http.Request) {
	c, err := p.st.ConnectionByID(r.Context(), chi.URLParam(r, "connection"))
	if err != nil || c.Kind != store.ConnectionOIDC {
		http.NotFound(w, r)
		return
	}
	res, err := p.callback(w, r, c)
	if err != nil {
		p.opt.Log.Info("oidc.callback_refused", "connection_id", c.ID, "org_id", c.OrgID, "reason", err.Error())
		p.fin.FailSSO(w, r, c, err)
		return
	}
	p.fin.FinishSSO(w, r, res)
}

// claims are the ID token and userinfo claims used.
type claims struct {
	Subject       string `json:"sub"`
	AZP           string `json:"azp"`
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
}

func (p *Provider) callback(w http.ResponseWriter, r *http.Request, c store.Connection) (sso.Result, error) {
	ctx := oidc.ClientContext(r.Context(), p.client)
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		return sso.Result{}, ErrState
	}
	// Single-use first: whatever follows, this state is spent.
	f, err := p.st.ConsumeSSOFlow(ctx, flowKey(state))
	if errors.Is(err, store.ErrNotFound) || (err == nil && f.ConnectionID != c.ID) {
		return sso.Result{}, ErrState
	}
	if err != nil {
		return sso.Result{}, fmt.Errorf("oidc: flow: %w", err)
	}
	var fd flowData
	if err := json.Unmarshal(f.Data, &fd); err != nil {
		return sso.Result{}, fmt.Errorf("oidc: flow data: %w", err)
	}
	// Before the code is redeemed: only the browser that started the flow.
	if err := sso.CheckBrowser(fd.Browser, p.binding(c.ID).Secret(w, r, state)); err != nil {
		return sso.Result{}, fmt.Errorf("oidc: %w", err)
	}
	cfg, s, d, err := p.config(ctx, c)
	if err != nil {
		return sso.Result{}, err
	}
	// RFC 9207: when iss is present it must be our issuer; when the OP
	// says it always sends it, it must be present.
	if iss, ok := q["iss"]; ok {
		if len(iss) != 1 || iss[0] != s.Issuer {
			return sso.Result{}, ErrIssuerMismatch
		}
	} else if d.issParam {
		return sso.Result{}, ErrIssuerMismatch
	}
	if q.Get("error") != "" {
		return sso.Result{}, fmt.Errorf("%w (%s)", ErrDenied, safeCode(q.Get("error")))
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(fd.Verifier))
	if err != nil {
		return sso.Result{}, ErrExchange
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return sso.Result{}, ErrNoIDToken
	}
	idt, err := d.p.Verifier(&oidc.Config{ClientID: s.ClientID}).Verify(ctx, rawID)
	if err != nil {
		return sso.Result{}, fmt.Errorf("oidc: id token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(fd.Nonce)) != 1 || fd.Nonce == "" {
		return sso.Result{}, ErrNonce
	}
	var cl claims
	if err := idt.Claims(&cl); err != nil {
		return sso.Result{}, fmt.Errorf("oidc: id token claims: %w", err)
	}
	if (len(idt.Audience) > 1 && cl.AZP == "") || (cl.AZP != "" && cl.AZP != s.ClientID) {
		return sso.Result{}, ErrAZP
	}
	if d.p.UserInfoEndpoint() != "" {
		if err := p.mergeUserInfo(ctx, d.p, tok, idt.Subject, &cl); err != nil {
			return sso.Result{}, err
		}
	}
	id := sso.Identity{Subject: idt.Subject, Email: cl.Email, GivenName: cl.GivenName, FamilyName: cl.FamilyName}
	// Only a JSON true counts: a missing, false or "true" (string) claim
	// leaves the email unverified, and web will not match accounts by it.
	id.EmailVerified = cl.Email != "" && cl.EmailVerified == true
	return sso.Result{Connection: c, Identity: id, ReturnTo: fd.ReturnTo, Test: fd.Test}, nil
}

// mergeUserInfo fills claims the ID token lacked from userinfo, whose sub
// must be the ID token's (OIDC Core 5.3.2).
func (p *Provider) mergeUserInfo(ctx context.Context, op *oidc.Provider, tok *oauth2.Token, sub string, cl *claims) error {
	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("oidc: userinfo: %w", err)
	}
	if ui.Subject != sub {
		return ErrSubject
	}
	var u claims
	if err := ui.Claims(&u); err != nil {
		return fmt.Errorf("oidc: userinfo claims: %w", err)
	}
	if cl.Email == "" {
		cl.Email, cl.EmailVerified = u.Email, u.EmailVerified
	}
	if cl.GivenName == "" {
		cl.GivenName = u.GivenName
	}
	if cl.FamilyName == "" {
		cl.FamilyName = u.FamilyName
	}
	return nil
}

// safeCode keeps an OAuth error code printable and short for the log.
func safeCode(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	out := []byte(s)
	for i, b := range out {
		if !(b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
			out[i] = '?'
		}
	}
	return string(out)
}
