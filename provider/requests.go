package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/idbridge/idbridge/store"
)

// authRequest is an authorization request as op sees it; its fields are
// stored as the store.AuthRequest's Data. The sign-in fields are set once
// the person signed in (Done).
type authRequest struct {
	ID            string                   `json:"-"`
	ClientID      string                   `json:"clientId"`
	RedirectURI   string                   `json:"redirectUri"`
	State         string                   `json:"state,omitempty"`
	Nonce         string                   `json:"nonce,omitempty"`
	Scopes        []string                 `json:"scopes"`
	ResponseType  oidc.ResponseType        `json:"responseType"`
	ResponseMode  oidc.ResponseMode        `json:"responseMode,omitempty"`
	CodeChallenge string                   `json:"codeChallenge"`
	Method        oidc.CodeChallengeMethod `json:"codeChallengeMethod"`
	Prompt        []string                 `json:"prompt,omitempty"`
	MaxAge        *uint                    `json:"maxAge,omitempty"`
	LoginHint     string                   `json:"loginHint,omitempty"`
	OrgHint       string                   `json:"orgHint,omitempty"`
	DomainHint    string                   `json:"domainHint,omitempty"`
	// Browser is the SHA-256 of the secret in the cookie of the browser
	// that started the request: only that browser may complete it.
	Browser []byte `json:"browser,omitempty"`

	AccountID string    `json:"accountId,omitempty"`
	OrgID     string    `json:"orgId,omitempty"`
	SessionID string    `json:"sid,omitempty"`
	AMR       []string  `json:"amr,omitempty"`
	AuthTime  time.Time `json:"authTime,omitzero"`
	IsDone    bool      `json:"done,omitempty"`
}

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: a.Method}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.AccountID }
func (a *authRequest) Done() bool                         { return a.IsDone }

// grant is what the request's sign-in starts.
func (a *authRequest) grant() store.Grant {
	return store.Grant{AppID: a.ClientID, AccountID: a.AccountID, OrgID: a.OrgID, AuthRequestID: a.ID,
		SessionID: a.SessionID, Scopes: a.Scopes, AMR: a.AMR, AuthTime: a.AuthTime}
}

func (a *authRequest) data() (json.RawMessage, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode auth request: %w", err)
	}
	return b, nil
}

func decodeAuthRequest(r store.AuthRequest) (*authRequest, error) {
	a := &authRequest{}
	if err := json.Unmarshal(r.Data, a); err != nil {
		return nil, fmt.Errorf("decode auth request: %w", err)
	}
	a.ID = r.ID
	return a, nil
}

// loadAuthRequest reads an unexpired request.
func loadAuthRequest(ctx context.Context, st *store.Store, id string) (*authRequest, error) {
	r, err := st.GetAuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return decodeAuthRequest(r)
}

// refreshRequest is a refresh token's grant as op sees it.
type refreshRequest struct {
	g      store.Grant
	secret string
}

func (r *refreshRequest) GetAMR() []string                 { return r.g.AMR }
func (r *refreshRequest) GetAudience() []string            { return []string{r.g.AppID} }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.g.AuthTime }
func (r *refreshRequest) GetClientID() string              { return r.g.AppID }
func (r *refreshRequest) GetScopes() []string              { return r.g.Scopes }
func (r *refreshRequest) GetSubject() string               { return r.g.AccountID }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.g.Scopes = scopes }

// grantOf returns the grant behind a token request of ours.
func grantOf(req any) (store.Grant, bool) {
	switch r := req.(type) {
	case *authRequest:
		return r.grant(), true
	case *refreshRequest:
		return r.g, true
	}
	return store.Grant{}, false
}
