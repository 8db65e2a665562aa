package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/idbridge/idbridge/store"
)

// Scope names of ours.
const scopeGroups = "groups"

// authRequestTTL bounds the whole sign-in, codeTTL the code's life once issued.
const (
	authRequestTTL = 15 * time.Minute
	codeTTL        = time.Minute
)

// storage is op.Storage over the store.
type storage struct {
	*keys
	st     *store.Store
	limits store.OAuthLimits
	// idTokenTTL is the ID token's lifetime.
	idTokenTTL time.Duration
	loginPath  string
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

// errPKCE refuses an authorization request without PKCE S256 (RFC 9700).
var errPKCE = oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256")

// CreateAuthRequest stores a validated authorization request; op checked
// the client, redirect URI, response type and scopes before.
func (s *storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if r.CodeChallenge == "" || r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, errPKCE
	}
	a := &authRequest{ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce, Scopes: r.Scopes,
		ResponseType: r.ResponseType, ResponseMode: r.ResponseMode, CodeChallenge: r.CodeChallenge, Method: r.CodeChallengeMethod,
		Prompt: r.Prompt, MaxAge: r.MaxAge, LoginHint: r.LoginHint}
	a.Browser, _ = ctx.Value(browserHashKey{}).([]byte)
	h, _ := ctx.Value(hintsKey{}).(hints)
	a.OrgHint, a.DomainHint = h.Org, h.Domain
	data, err := a.data()
	if err != nil {
		return nil, err
	}
	saved, err := s.st.SaveAuthRequest(ctx, r.ClientID, data, authRequestTTL)
	if err != nil {
		return nil, err
	}
	a.ID = saved.ID
	return a, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return loadAuthRequest(ctx, s.st, id)
}

// AuthRequestByCode redeems a code: it works once, on any replica.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.st.UseAuthCode(ctx, code)
	if err != nil {
		return nil, err
	}
	a, err := decodeAuthRequest(r)
	if err != nil {
		return nil, err
	}
	if !a.IsDone {
		return nil, store.ErrTokenInvalid
	}
	return a, nil
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	a, err := loadAuthRequest(ctx, s.st, id)
	if err != nil {
		return err
	}
	data, err := a.data()
	if err != nil {
		return err
	}
	return s.st.UpdateAuthRequest(ctx, id, data, code, codeTTL)
}

// DeleteAuthRequest keeps the request: its used code stays until it expires,
// so that a second redemption is recognised and revokes the first's tokens.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// grantError answers a refused token request.
func grantError(err error) error {
	switch {
	case errors.Is(err, store.ErrForbidden):
		return oidc.ErrInvalidGrant().WithDescription("the person may no longer sign in to this application").WithParent(err)
	case errors.Is(err, store.ErrUnauthenticated), errors.Is(err, store.ErrNotFound):
		return oidc.ErrInvalidGrant().WithParent(err)
	}
	return err
}

func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, ok := grantOf(req)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	out, err := s.st.IssueTokens(ctx, g, s.limits, false)
	if err != nil {
		return "", time.Time{}, grantError(err)
	}
	return out.AccessID, out.AccessExpiresAt, nil
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	var out store.Issued
	var err error
	switch r := req.(type) {
	case *authRequest:
		out, err = s.st.IssueTokens(ctx, r.grant(), s.limits, true)
	case *refreshRequest:
		out, err = s.st.RotateRefreshToken(ctx, current, r.g.Scopes, s.limits)
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	if err != nil {
		return "", "", time.Time{}, grantError(err)
	}
	return out.AccessID, out.Refresh, out.AccessExpiresAt, nil
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	g, err := s.st.RefreshGrant(ctx, token, s.limits)
	if err != nil {
		return nil, grantError(err)
	}
	return &refreshRequest{g: g, secret: token}, nil
}

// TerminateSession is not called: the end-session route (Provider.endSession)
// validates the request with op and ends the browser's session itself, which
// needs the response to clear the cookie.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken revokes an access token (by id, userID set) or a refresh
// token's family (userID empty), of the calling client only.
func (s *storage) RevokeToken(ctx context.Context, token, userID, clientID string) *oidc.Error {
	var err error
	if userID != "" {
		err = s.st.RevokeAccessToken(ctx, clientID, token)
	} else {
		err = s.st.RevokeRefreshToken(ctx, clientID, token)
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, _ string, token string) (string, string, error) {
	ok, err := s.st.IsRefreshToken(ctx, token)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return "", token, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	a, err := s.st.GetApp(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("unknown client %q", id)
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &client{app: a, loginPath: s.loginPath, idTokenTTL: s.idTokenTTL}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.st.CheckAppSecret(ctx, id, secret)
	if err != nil && !errors.Is(err, store.ErrUnauthenticated) {
		return oidc.ErrServerError().WithParent(err)
	}
	return err
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	g, ok := grantOf(req)
	if !ok {
		return oidc.ErrServerError().WithDescription("unexpected request")
	}
	if err := s.claims(ctx, info, g.AccountID, g.OrgID, scopes); err != nil {
		return err
	}
	info.AppendClaims("sid", g.SessionID)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint for a live access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	g, err := s.st.AccessGrant(ctx, tokenID)
	if err != nil || g.AccountID != subject {
		return oidc.ErrAccessDenied().WithDescription("the access token is unknown, expired or revoked")
	}
	return s.claims(ctx, info, g.AccountID, g.OrgID, g.Scopes)
}

// SetIntrospectionFromToken answers introspection (RFC 7662) of a live
// access token to the app it was issued to; anything else is inactive.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	g, err := s.st.AccessGrant(ctx, tokenID)
	if err != nil || g.AccountID != subject || g.AppID != clientID {
		return oidc.ErrAccessDenied().WithDescription("inactive token")
	}
	info := new(oidc.UserInfo)
	if err := s.claims(ctx, info, g.AccountID, g.OrgID, g.Scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Active, resp.Scope, resp.ClientID, resp.Audience = true, g.Scopes, g.AppID, []string{g.AppID}
	return nil
}

// claims sets what idbridge says about a member of an org for the scopes.
func (s *storage) claims(ctx context.Context, info *oidc.UserInfo, accountID, orgID string, scopes []string) error {
	m, err := s.st.GetMember(ctx, orgID, accountID)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("no longer a member").WithParent(err)
	}
	org, err := s.st.GetOrg(ctx, orgID)
	if err != nil {
		return err
	}
	info.Subject = accountID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.GivenName, info.FamilyName = m.Account.GivenName, m.Account.FamilyName
		info.Name = strings.TrimSpace(m.Account.GivenName + " " + m.Account.FamilyName)
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = m.Account.Email
		// Always said, false included (the struct field omits false).
		info.AppendClaims("email_verified", m.Account.ActivatedAt != nil)
	}
	info.AppendClaims("org_id", org.ID)
	info.AppendClaims("org_name", org.Name)
	info.AppendClaims("user_type", string(m.Membership.UserType))
	info.AppendClaims("subscription", string(m.Membership.Subscription))
	info.AppendClaims("reports_role", string(m.Membership.ReportsRole))
	if slices.Contains(scopes, scopeGroups) {
		gs, err := s.st.GroupsOfMember(ctx, orgID, accountID)
		if err != nil {
			return err
		}
		names := make([]string, len(gs))
		for i, g := range gs {
			names[i] = g.DisplayName
		}
		info.AppendClaims("groups", names)
	}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) Health(ctx context.Context) error { return s.st.Ready(ctx) }

// client is a registered app as op sees it.
type client struct {
	app        store.App
	loginPath  string
	idTokenTTL time.Duration
}

func (c *client) GetID() string                    { return c.app.ID }
func (c *client) RedirectURIs() []string           { return c.app.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.app.PostLogoutRedirectURIs }

// ApplicationType: web for a confidential app; a public one is a
// user-agent app (its redirect URIs still match exactly).
func (c *client) ApplicationType() op.ApplicationType {
	if c.app.Public() {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.app.Public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *client) LoginURL(id string) string                                    { return c.loginPath + "?id=" + id }
func (c *client) AccessTokenType() op.AccessTokenType                          { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration                               { return c.idTokenTTL }
func (c *client) IsScopeAllowed(scope string) bool                             { return scope == scopeGroups }
func (c *client) IDTokenUserinfoClaimsAssertion() bool                         { return true }
func (c *client) ClockSkew() time.Duration                                     { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string     { return keepScopes }
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string { return keepScopes }

// DevMode lets an http://localhost redirect URI through op's scheme check
// (registration allows http only on loopback hosts; the match stays exact).
func (c *client) DevMode() bool { return true }

func keepScopes(s []string) []string { return s }
