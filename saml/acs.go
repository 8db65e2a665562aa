package saml

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// Start implements sso.Provider: a signed AuthnRequest (HTTP-Redirect when
// the IdP offers it, else HTTP-POST), remembered server-side under its id.
// The RelayState is a random handle of the flow, never a URL.
func (p *Provider) Start(w http.ResponseWriter, r *http.Request, c store.Connection, returnTo string, test bool) error {
	sp, _, err := p.serviceProvider(c)
	if err != nil {
		return err
	}
	binding, loc := saml.HTTPRedirectBinding, sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		binding, loc = saml.HTTPPostBinding, sp.GetSSOBindingLocation(saml.HTTPPostBinding)
	}
	req, err := sp.MakeAuthenticationRequest(loc, binding, saml.HTTPPostBinding)
	if err != nil {
		return fmt.Errorf("saml: authn request: %w", err)
	}
	relay := sso.RandomToken(24)
	browser := p.binding(c.ID).Bind(w, relay)
	data, err := json.Marshal(flowData{Relay: relay, Browser: browser, ReturnTo: sso.LocalPath(returnTo), Test: test})
	if err != nil {
		return err
	}
	if err := p.st.SaveSSOFlow(r.Context(), flowKey(req.ID), c.ID, data, p.opt.FlowTTL); err != nil {
		return fmt.Errorf("saml: save flow: %w", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	if binding == saml.HTTPRedirectBinding {
		u, err := req.Redirect(relay, sp)
		if err != nil {
			return fmt.Errorf("saml: redirect: %w", err)
		}
		http.Redirect(w, r, u.String(), http.StatusFound)
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!DOCTYPE html><html><body>"))
	_, _ = w.Write(req.Post(relay))
	_, _ = w.Write([]byte("</body></html>"))
	return nil
}

func (p *Provider) serveACS(w http.ResponseWriter, r *http.Request) {
	c, err := p.connection(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	res, err := p.acs(w, r, c)
	if err != nil {
		// The reason is ours (never assertion content) and safe to log.
		p.opt.Log.Info("saml.acs_refused", "connection_id", c.ID, "org_id", c.OrgID, "reason", err.Error())
		p.fin.FailSSO(w, r, c, err)
		return
	}
	p.fin.FinishSSO(w, r, res)
}

func (p *Provider) acs(w http.ResponseWriter, r *http.Request, c store.Connection) (sso.Result, error) {
	max := p.opt.MaxResponseBytes
	r.Body = http.MaxBytesReader(nil, r.Body, int64(max)*4/3+8192)
	if err := r.ParseForm(); err != nil {
		return sso.Result{}, ErrResponseTooLarge
	}
	raw := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, r.PostForm.Get("SAMLResponse"))
	if raw == "" {
		return sso.Result{}, errors.New("saml: no SAMLResponse (only the HTTP-POST binding is accepted)")
	}
	if base64.StdEncoding.DecodedLen(len(raw)) > max {
		return sso.Result{}, ErrResponseTooLarge
	}
	doc, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return sso.Result{}, errors.New("saml: SAMLResponse is not base64")
	}
	relay, browser := r.PostForm.Get("RelayState"), ""
	if relay != "" {
		browser = p.binding(c.ID).Secret(w, r, relay)
	}
	return p.Verify(r.Context(), c, doc, relay, browser)
}

// Verify runs every check on a decoded SAMLResponse posted to c's ACS with
// relayState, the browser's binding cookie for that RelayState holding
// browser ("" when it sent none), consumes its flow and records its
// assertion id. It is the whole ACS path but HTTP, exported for the benchmark.
func (p *Provider) Verify(ctx context.Context, c store.Connection, doc []byte, relayState, browser string) (sso.Result, error) {
	if len(doc) > p.opt.MaxResponseBytes {
		return sso.Result{}, ErrResponseTooLarge
	}
	if err := checkXMLTokens(doc, true); err != nil {
		return sso.Result{}, err
	}
	var head struct {
		InResponseTo string `xml:",attr"`
	}
	if err := xml.Unmarshal(doc, &head); err != nil {
		return sso.Result{}, fmt.Errorf("saml: malformed response: %w", err)
	}
	base, s, err := p.serviceProvider(c)
	if err != nil {
		return sso.Result{}, err
	}
	sp := *base // per response: AllowIDPInitiated depends on the response
	var possible []string
	if head.InResponseTo == "" {
		if !s.AllowIDPInitiated {
			return sso.Result{}, ErrUnsolicited
		}
		sp.AllowIDPInitiated = true
	} else {
		possible = []string{head.InResponseTo}
	}
	a, err := parse(&sp, doc, possible)
	if err != nil {
		return sso.Result{}, err
	}
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return sso.Result{}, errors.New("saml: the assertion has no NameID")
	}
	// crewjam checks Recipient and InResponseTo per SubjectConfirmation,
	// so an assertion without one would skip both: require a bearer one.
	if len(a.Subject.SubjectConfirmations) == 0 {
		return sso.Result{}, ErrNoBearer
	}
	for _, sc := range a.Subject.SubjectConfirmations {
		if sc.Method != "urn:oasis:names:tc:SAML:2.0:cm:bearer" || sc.SubjectConfirmationData == nil {
			return sso.Result{}, ErrNoBearer
		}
	}
	res := sso.Result{Connection: c}
	if head.InResponseTo == "" {
		// Unsolicited: an assertion answering a request must not arrive
		// without the response saying so (InResponseTo stays checked).
		for _, sc := range a.Subject.SubjectConfirmations {
			if sc.SubjectConfirmationData != nil && sc.SubjectConfirmationData.InResponseTo != "" {
				return sso.Result{}, ErrUnknownRequest
			}
		}
		res.ReturnTo = sso.LocalPath(relayState)
	} else {
		f, err := p.st.ConsumeSSOFlow(ctx, flowKey(head.InResponseTo))
		if errors.Is(err, store.ErrNotFound) || (err == nil && f.ConnectionID != c.ID) {
			return sso.Result{}, ErrUnknownRequest
		}
		if err != nil {
			return sso.Result{}, fmt.Errorf("saml: flow: %w", err)
		}
		var fd flowData
		if err := json.Unmarshal(f.Data, &fd); err != nil {
			return sso.Result{}, fmt.Errorf("saml: flow data: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(fd.Relay), []byte(relayState)) != 1 {
			return sso.Result{}, ErrRelayStateInvalid
		}
		if err := sso.CheckBrowser(fd.Browser, browser); err != nil {
			return sso.Result{}, fmt.Errorf("saml: %w", err)
		}
		res.ReturnTo, res.Test = fd.ReturnTo, fd.Test
	}
	if err := p.st.UseAssertionID(ctx, c.ID, a.ID, keepUntil(a)); err != nil {
		if errors.Is(err, store.ErrReplay) {
			return sso.Result{}, ErrReplay
		}
		return sso.Result{}, fmt.Errorf("saml: replay check: %w", err)
	}
	res.Identity = identity(a, s.Attributes)
	return res, nil
}

// parse runs crewjam's checks (signature, issuer, destination, recipient,
// times, status, InResponseTo) plus the hooks installed on sp, and turns a
// panic on malformed input into an error.
func parse(sp *saml.ServiceProvider, doc []byte, possible []string) (a *saml.Assertion, err error) {
	defer func() {
		if v := recover(); v != nil {
			a, err = nil, fmt.Errorf("saml: malformed response (%v)", v)
		}
	}()
	a, err = sp.ParseXMLResponse(doc, possible, sp.AcsURL)
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		err = fmt.Errorf("saml: invalid response: %w", ire.PrivateErr)
	}
	if errors.Is(err, saml.ErrRequestIDMismatch) {
		// An InResponseTo naming no request of this flow (or any, when
		// unsolicited) is the same refusal as an unknown flow.
		err = fmt.Errorf("%w (%w)", ErrUnknownRequest, err)
	}
	if err != nil {
		return nil, err
	}
	if a.Conditions == nil {
		return nil, ErrWrongAudience
	}
	return a, nil
}

// keepUntil is how long an assertion id must stay recorded: past it,
// crewjam's time checks refuse the assertion anyway.
func keepUntil(a *saml.Assertion) time.Time {
	t := a.IssueInstant.Add(saml.MaxIssueDelay)
	if a.Conditions != nil && a.Conditions.NotOnOrAfter.After(t) {
		t = a.Conditions.NotOnOrAfter
	}
	if now := saml.TimeNow(); now.After(t) {
		t = now
	}
	return t.Add(saml.MaxClockSkew)
}

func identity(a *saml.Assertion, m Attributes) sso.Identity {
	id := sso.Identity{Subject: strings.TrimSpace(a.Subject.NameID.Value)}
	id.Email = attribute(a, append([]string{m.Email}, defaultAttributes.email...)...)
	if id.Email == "" && a.Subject.NameID.Format == string(saml.EmailAddressNameIDFormat) {
		id.Email = id.Subject
	}
	// The org's own IdP asserts the address; web still requires its domain
	// to be one of the org's verified domains before matching by it.
	id.EmailVerified = id.Email != ""
	id.GivenName = attribute(a, append([]string{m.GivenName}, defaultAttributes.given...)...)
	id.FamilyName = attribute(a, append([]string{m.FamilyName}, defaultAttributes.family...)...)
	return id
}
