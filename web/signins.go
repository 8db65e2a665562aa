package web

import (
	"errors"
	"net/http"

	crewjam "github.com/crewjam/saml"

	"github.com/idbridge/idbridge/oidc"
	"github.com/idbridge/idbridge/saml"
	"github.com/idbridge/idbridge/sso"
	"github.com/idbridge/idbridge/store"
)

// attempt is what is known of an SSO sign-in when it ends: the person's
// email once the IdP's answer was verified, and whether it was a test.
type attempt struct {
	Email string
	Test  bool
}

// outcomeOf types the error that ended an SSO sign-in (nil: success).
// email is the address the IdP asserted, "" when unknown.
func outcomeOf(err error, email string) string {
	var bad crewjam.ErrBadStatus
	switch {
	case err == nil:
		return store.OutcomeSuccess
	case errors.Is(err, sso.ErrOtherBrowser):
		return store.OutcomeOtherBrowser
	case errors.Is(err, saml.ErrReplay):
		return store.OutcomeReplayed
	case errors.Is(err, saml.ErrUnsolicited):
		return store.OutcomeUnsolicited
	case errors.Is(err, saml.ErrUnknownRequest):
		return store.OutcomeUnknownRequest
	case errors.Is(err, crewjam.ErrUntrustedCertificate), errors.Is(err, crewjam.ErrCertificateNotValidNow):
		return store.OutcomeUnknownCert
	case errors.Is(err, crewjam.ErrInvalidSignature), errors.Is(err, saml.ErrWeakSignature), errors.Is(err, saml.ErrSignatureShape):
		return store.OutcomeBadSignature
	case errors.Is(err, saml.ErrWrongAudience), errors.Is(err, crewjam.ErrAudienceMismatch),
		errors.Is(err, crewjam.ErrDestinationMismatch), errors.Is(err, saml.ErrNoBearer), errors.Is(err, oidc.ErrAZP):
		return store.OutcomeWrongAudience
	case errors.Is(err, crewjam.ErrExpired), errors.Is(err, crewjam.ErrNotYetValid):
		return store.OutcomeExpired
	case errors.Is(err, oidc.ErrState), errors.Is(err, oidc.ErrNonce), errors.Is(err, oidc.ErrIssuerMismatch),
		errors.Is(err, crewjam.ErrIssuerMismatch), errors.Is(err, saml.ErrRelayStateInvalid), errors.Is(err, oidc.ErrSubject):
		return store.OutcomeStateMismatch
	case errors.As(err, &bad), errors.Is(err, oidc.ErrDenied), errors.Is(err, oidc.ErrExchange):
		return store.OutcomeIdPError
	case errors.Is(err, store.ErrSSOEmailNotVerified) && email == "":
		return store.OutcomeEmailMissing
	case errors.Is(err, store.ErrSSOEmailNotVerified):
		return store.OutcomeEmailUnverified
	case errors.Is(err, store.ErrSSOEmailDomain):
		return store.OutcomeEmailOutside
	case errors.Is(err, store.ErrSSONotProvisioned):
		return store.OutcomeNoMember
	case errors.Is(err, store.ErrSSOMemberDisabled):
		return store.OutcomeMemberDisabled
	case errors.Is(err, errNoConnection):
		return store.OutcomeSSOOff
	}
	code, _, _ := errorStatus(err)
	if code >= 500 {
		return store.OutcomeInternal
	}
	return store.OutcomeInvalidResponse
}

// recordAttempt records an SSO sign-in attempt of c's org; a failure to
// record is logged, never shown: the sign-in's own answer matters more.
func (w *Web) recordAttempt(r *http.Request, c store.Connection, a attempt, err error) {
	if c.OrgID == "" {
		return // no connection known: no org to show it to
	}
	rec := store.SignInAttempt{OrgID: c.OrgID, ConnectionID: c.ID, ConnectionName: c.Name, Test: a.Test,
		Email: a.Email, Outcome: outcomeOf(err, a.Email)}
	if err != nil && rec.Outcome != store.OutcomeInternal {
		rec.Detail = cutText(err.Error(), 500)
	}
	if rerr := w.st.RecordSignInAttempt(r.Context(), rec); rerr != nil {
		w.log.Warn("web.sign_in_record_failed", "err", rerr, "org_id", c.OrgID)
	}
}

// cutText shortens s to at most n bytes, on a character boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
