package storetest

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

var tokenTests = []test{
	{name: "scim_token_create_authenticate_revoke", fn: testSCIMToken},
	{name: "scim_token_revoked_through_another_replica", fn: testSCIMTokenReplicas},
}

func testSCIMToken(e *env) {
	tn := e.tenant()
	other := e.tenant()
	secret, tok := must3(e.s.CreateSCIMToken(e.ctx, tn.Actor, tn.ID, " Okta "))(e)
	if !strings.HasPrefix(secret, store.SCIMTokenPrefix) || tok.Name != "Okta" || tok.OrgID != tn.ID ||
		!bytes.Equal(tok.Hash, store.HashSecret(secret)) || tok.RevokedAt != nil || tok.LastUsedAt != nil {
		e.Errorf("CreateSCIMToken = %q, %+v", secret, tok)
	}
	e.clock.Advance(time.Second)
	secret2, tok2 := must3(e.s.CreateSCIMToken(e.ctx, tn.Actor, tn.ID, "Okta rotation"))(e)
	list := must(e.s.ListSCIMTokens(e.ctx, tn.ID))(e)
	if len(list) != 2 || list[0].ID != tok2.ID || list[1].ID != tok.ID {
		e.Errorf("ListSCIMTokens = %+v, want the two tokens newest first", list)
	}

	e.clock.Advance(time.Minute)
	got := must(e.s.AuthenticateSCIMToken(e.ctx, secret))(e)
	if got.ID != tok.ID || got.OrgID != tn.ID {
		e.Errorf("AuthenticateSCIMToken = %+v, want %s of %s", got, tok.ID, tn.ID)
	}
	used := must(e.s.ListSCIMTokens(e.ctx, tn.ID))(e)
	if i := slices.IndexFunc(used, func(t store.SCIMToken) bool { return t.ID == tok.ID }); i < 0 || used[i].LastUsedAt == nil || !e.clockEqual(*used[i].LastUsedAt) {
		e.Errorf("LastUsedAt not recorded: %+v", used)
	}
	for _, bad := range []string{"", "Bearer " + secret, secret + "x", strings.ToUpper(secret), "other_" + secret[len(store.SCIMTokenPrefix):],
		store.SCIMTokenPrefix + rnd(), store.SCIMTokenPrefix + strings.Repeat("a", 200)} {
		_, err := e.s.AuthenticateSCIMToken(e.ctx, bad)
		e.wantIs(err, store.ErrBadToken, "AuthenticateSCIMToken(bad)")
	}

	otherSCIM, _ := e.scim(other)
	scim := store.SCIMActor(got)
	before := e.snap([]string{tn.ID, other.ID})
	_, err := e.s.RevokeSCIMToken(e.ctx, other.Actor, tn.ID, tok.ID)
	e.wantNotFound(err, "RevokeSCIMToken by another org's admin")
	_, err = e.s.RevokeSCIMToken(e.ctx, other.Actor, other.ID, tok.ID)
	e.wantNotFound(err, "RevokeSCIMToken of this org's token through another org")
	_, err = e.s.RevokeSCIMToken(e.ctx, tn.Actor, tn.ID, unknownID)
	e.wantNotFound(err, "RevokeSCIMToken(unknown)")
	_, err = e.s.RevokeSCIMToken(e.ctx, scim, tn.ID, tok2.ID)
	e.wantIs(err, store.ErrForbidden, "a SCIM token revoking tokens")
	_, _, err = e.s.CreateSCIMToken(e.ctx, scim, tn.ID, "self-made")
	e.wantIs(err, store.ErrForbidden, "a SCIM token creating tokens")
	_, _, err = e.s.CreateSCIMToken(e.ctx, other.Actor, tn.ID, "stolen")
	e.wantNotFound(err, "CreateSCIMToken by another org's admin")
	_, _, err = e.s.CreateSCIMToken(e.ctx, otherSCIM, tn.ID, "stolen")
	if err == nil {
		e.Errorf("another org's SCIM token created a token here")
	}
	_, _, err = e.s.CreateSCIMToken(e.ctx, tn.Actor, tn.ID, "  ")
	e.wantInvalid(err, "a blank token name")
	_, _, err = e.s.CreateSCIMToken(e.ctx, support, unknownID, "x")
	e.wantNotFound(err, "CreateSCIMToken(unknown org)")
	e.unchanged(before, "refused token changes")
	if list := must(e.s.ListSCIMTokens(e.ctx, other.ID))(e); slices.ContainsFunc(list, func(t store.SCIMToken) bool { return t.OrgID != other.ID }) {
		e.Errorf("another org lists this org's tokens")
	}

	revoked := must(e.s.RevokeSCIMToken(e.ctx, tn.Actor, tn.ID, tok.ID))(e)
	if revoked.RevokedAt == nil || !e.clockEqual(*revoked.RevokedAt) {
		e.Errorf("RevokeSCIMToken = %+v", revoked)
	}
	_, err = e.s.AuthenticateSCIMToken(e.ctx, secret)
	e.wantIs(err, store.ErrBadToken, "a revoked token, at once")
	if got := must(e.s.AuthenticateSCIMToken(e.ctx, secret2))(e); got.ID != tok2.ID {
		e.Errorf("the other token stopped working")
	}
	e.clock.Advance(time.Minute)
	again := must(e.s.RevokeSCIMToken(e.ctx, tn.Actor, tn.ID, tok.ID))(e)
	e.same("revoking twice keeps the first time", again.RevokedAt, revoked.RevokedAt)
	var acts []string
	for _, a := range e.auditOf(tn.ID) {
		if strings.HasPrefix(a.Action, "scim_token.") {
			acts = append(acts, a.Action)
			if strings.Contains(string(a.Before)+string(a.After), secret) {
				e.Errorf("audit entry %s holds the token secret", a.Action)
			}
		}
	}
	if want := []string{"scim_token.revoke", "scim_token.create", "scim_token.create"}; !slices.Equal(acts, want) {
		e.Errorf("token audit = %v, want %v", acts, want)
	}
}

// testSCIMTokenReplicas: two Stores on one database are two replicas. A token
// they have both used (and may have cached) and then revoked through one is
// refused by the other as soon as the backend has told it (a
// store.SCIMTokenWatcher: the notification sent at commit; other backends:
// at once), and by the revoking one at once.
func testSCIMTokenReplicas(e *env) {
	tn := e.tenant()
	a, b := e.s, newStore(e.b, e.clock)
	secret, tok := must3(a.CreateSCIMToken(e.ctx, tn.Actor, tn.ID, "Entra"))(e)
	secret2, _ := must3(a.CreateSCIMToken(e.ctx, tn.Actor, tn.ID, "Okta"))(e)
	_, watched := e.b.(store.SCIMTokenWatcher)
	for _, s := range []*store.Store{a, b} {
		for range 3 {
			if got := must(s.AuthenticateSCIMToken(e.ctx, secret))(e); got.ID != tok.ID {
				e.Fatalf("AuthenticateSCIMToken = %+v", got)
			}
			must(s.AuthenticateSCIMToken(e.ctx, secret2))(e)
		}
	}
	if caching, size, _ := b.SCIMTokenCacheState(); !watched && (caching || size > 0) {
		e.Errorf("a backend without notifications cached tokens (caching %v, %d)", caching, size)
	}
	_, _, before := b.SCIMTokenCacheState()
	must(a.RevokeSCIMToken(e.ctx, tn.Actor, tn.ID, tok.ID))(e)
	_, err := a.AuthenticateSCIMToken(e.ctx, secret)
	e.wantIs(err, store.ErrBadToken, "the revoking replica, at once")
	if caching, _, _ := b.SCIMTokenCacheState(); caching {
		waitSCIMTokenChange(e, b, before)
	}
	_, err = b.AuthenticateSCIMToken(e.ctx, secret)
	e.wantIs(err, store.ErrBadToken, "the other replica, on its next request")
	if got := must(b.AuthenticateSCIMToken(e.ctx, secret2))(e); got.Name != "Okta" {
		e.Errorf("the org's other token = %+v", got)
	}
}

// waitSCIMTokenChange waits (at most 5 s) until s has been told of a change
// to a token after the count before.
func waitSCIMTokenChange(e *env, s *store.Store, before uint64) {
	e.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, _, n := s.SCIMTokenCacheState(); n > before {
			return
		}
		if time.Now().After(deadline) {
			e.Fatalf("no change notification within 5 s")
		}
	}
}
