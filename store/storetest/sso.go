package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/idbridge/idbridge/store"
)

var ssoTests = []test{
	{name: "connection_crud", fn: testConnectionCRUD},
	{name: "rule12_sso_needs_tested_connection", fn: testRule12},
}

func testConnectionCRUD(e *env) {
	tn := e.tenant()
	other := e.tenant()
	settings := json.RawMessage(`{"issuer":"https://login.example.com","clientId":"abc"}`)
	c := must(e.s.CreateConnection(e.ctx, tn.Actor, tn.ID, store.NewConnection{Kind: store.ConnectionOIDC, Name: " Entra ", Settings: settings}))(e)
	if c.ID == "" || c.OrgID != tn.ID || c.Name != "Entra" || c.Kind != store.ConnectionOIDC || c.TestedAt != nil {
		e.Errorf("CreateConnection = %+v", c)
	}
	got := must(e.s.GetConnection(e.ctx, tn.ID, c.ID))(e)
	if !sameDoc(got.Settings, settings) {
		e.Errorf("settings = %s, want %s", got.Settings, settings)
	}
	got.Settings, c.Settings = nil, nil
	e.same("GetConnection", got, c)
	byID := must(e.s.ConnectionByID(e.ctx, c.ID))(e)
	if byID.OrgID != tn.ID {
		e.Errorf("ConnectionByID org = %s, want %s", byID.OrgID, tn.ID)
	}
	saml := e.connection(tn, false)
	if list := must(e.s.ListConnections(e.ctx, tn.ID))(e); len(list) != 2 {
		e.Errorf("ListConnections = %d, want 2", len(list))
	}
	_, err := e.s.CreateConnection(e.ctx, tn.Actor, tn.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Entra"})
	e.wantConflict(err, "connection_name", "a second connection with the same name")
	// The same name in another org is fine.
	must(e.s.CreateConnection(e.ctx, other.Actor, other.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Entra"}))(e)

	e.clock.Advance(time.Minute)
	tested := must(e.s.RecordConnectionTest(e.ctx, tn.Actor, tn.ID, c.ID))(e)
	if tested.TestedAt == nil || !e.clockEqual(*tested.TestedAt) {
		e.Errorf("TestedAt = %v, want now", tested.TestedAt)
	}
	renamed := must(e.s.UpdateConnection(e.ctx, tn.Actor, tn.ID, c.ID, store.ConnectionChange{Name: new("Entra ID")}))(e)
	if renamed.Name != "Entra ID" || renamed.TestedAt == nil {
		e.Errorf("rename = %+v, want the test kept", renamed)
	}
	newSettings := json.RawMessage(`{"issuer":"https://other.example.com"}`)
	changed := must(e.s.UpdateConnection(e.ctx, tn.Actor, tn.ID, c.ID, store.ConnectionChange{Settings: &newSettings}))(e)
	if changed.TestedAt != nil || !sameDoc(must(e.s.GetConnection(e.ctx, tn.ID, c.ID))(e).Settings, newSettings) {
		e.Errorf("new settings = %+v, want them stored and the test cleared", changed)
	}

	otherSCIM, _ := e.scim(other)
	scim, _ := e.scim(tn)
	before := e.snap([]string{tn.ID, other.ID})
	_, err = e.s.GetConnection(e.ctx, other.ID, c.ID)
	e.wantNotFound(err, "GetConnection through another org")
	if list := must(e.s.ListConnections(e.ctx, other.ID))(e); slices.ContainsFunc(list, func(x store.Connection) bool { return x.ID == c.ID }) {
		e.Errorf("another org lists this org's connection")
	}
	// SSO is never a SCIM token's, whichever org it belongs to.
	_, err = e.s.CreateConnection(e.ctx, otherSCIM, tn.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Evil " + rnd()})
	if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrForbidden) {
		e.Errorf("CreateConnection by another org's SCIM token: %v, want not found or forbidden", err)
	}
	_, err = e.s.CreateConnection(e.ctx, other.Actor, tn.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Evil " + rnd()})
	e.wantNotFound(err, "CreateConnection by another org's admin")
	_, err = e.s.UpdateConnection(e.ctx, other.Actor, tn.ID, c.ID, store.ConnectionChange{Name: new("Evil")})
	e.wantNotFound(err, "UpdateConnection by another org's admin")
	_, err = e.s.UpdateConnection(e.ctx, other.Actor, other.ID, c.ID, store.ConnectionChange{Name: new("Evil")})
	e.wantNotFound(err, "UpdateConnection of this org's connection through another org")
	_, err = e.s.RecordConnectionTest(e.ctx, other.Actor, other.ID, saml.ID)
	e.wantNotFound(err, "RecordConnectionTest through another org")
	e.wantNotFound(e.s.DeleteConnection(e.ctx, other.Actor, other.ID, c.ID), "DeleteConnection through another org")
	_, err = e.s.CreateConnection(e.ctx, scim, tn.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Via SCIM"})
	e.wantIs(err, store.ErrForbidden, "a SCIM token managing SSO")
	_, err = e.s.CreateConnection(e.ctx, tn.Actor, tn.ID, store.NewConnection{Kind: "ldap", Name: "LDAP"})
	e.wantInvalid(err, "an unknown kind")
	_, err = e.s.CreateConnection(e.ctx, tn.Actor, tn.ID, store.NewConnection{Kind: store.ConnectionSAML, Name: "Bad", Settings: json.RawMessage(`{`)})
	e.wantInvalid(err, "settings that are not JSON")
	_, err = e.s.UpdateConnection(e.ctx, tn.Actor, tn.ID, c.ID, store.ConnectionChange{Name: new(saml.Name)})
	e.wantConflict(err, "connection_name", "renaming onto a taken name")
	e.unchanged(before, "refused connection changes")

	e.ok(e.s.DeleteConnection(e.ctx, tn.Actor, tn.ID, saml.ID), "DeleteConnection")
	_, err = e.s.GetConnection(e.ctx, tn.ID, saml.ID)
	e.wantNotFound(err, "GetConnection after delete")
	_, err = e.s.ConnectionByID(e.ctx, saml.ID)
	e.wantNotFound(err, "ConnectionByID after delete")
	e.wantNotFound(e.s.DeleteConnection(e.ctx, tn.Actor, tn.ID, saml.ID), "DeleteConnection twice")
	for _, id := range []string{unknownID, "nope"} {
		_, err = e.s.GetConnection(e.ctx, tn.ID, id)
		e.wantNotFound(err, "GetConnection("+id+")")
		_, err = e.s.ConnectionByID(e.ctx, id)
		e.wantNotFound(err, "ConnectionByID("+id+")")
	}
	want := []string{"connection.create", "connection.create", "connection.test_passed", "connection.update", "connection.update", "connection.delete"}
	var acts []string
	for _, a := range e.actions(tn.ID) {
		if strings.HasPrefix(a, "connection.") {
			acts = append(acts, a)
		}
	}
	if !slices.Equal(acts, want) {
		e.Errorf("connection audit = %v, want %v", acts, want)
	}
}

func testRule12(e *env) {
	tn := e.tenant()
	other := e.tenant()
	untested := e.connection(tn, false)
	otherConn := e.connection(other, true)
	m := e.member(tn.ID)
	scim, _ := e.scim(tn)
	before := e.snap([]string{tn.ID, other.ID}, m.Account.ID)
	_, err := e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, untested.ID)
	e.wantRule(err, store.RuleSSOTested, "EnableSSO with an untested connection")
	e.wantDetail(err, "test sign-in")
	_, err = e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, otherConn.ID)
	e.wantNotFound(err, "EnableSSO with another org's tested connection")
	_, err = e.s.EnableSSO(e.ctx, other.Actor, tn.ID, otherConn.ID)
	e.wantNotFound(err, "EnableSSO by another org's admin")
	_, err = e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, unknownID)
	e.wantNotFound(err, "EnableSSO with an unknown connection")
	_, err = e.s.EnableSSO(e.ctx, scim, tn.ID, untested.ID)
	e.wantIs(err, store.ErrForbidden, "EnableSSO by a SCIM token")
	_, err = e.s.EnableSSO(e.ctx, store.AdminActor(tn.ID, m.Account.ID), tn.ID, untested.ID)
	e.wantIs(err, store.ErrForbidden, "EnableSSO by a plain user")
	e.unchanged(before, "refused EnableSSO")

	tested := must(e.s.RecordConnectionTest(e.ctx, tn.Actor, tn.ID, untested.ID))(e)
	o := must(e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, tested.ID))(e)
	if !o.SSOEnabled || o.SSOConnectionID != tested.ID {
		e.Errorf("EnableSSO = %+v", o)
	}
	e.same("GetOrg after EnableSSO", must(e.s.GetOrg(e.ctx, tn.ID))(e).SSOEnabled, true)
	if a := e.auditOf(tn.ID)[0]; a.Action != "org.sso_enable" {
		e.Errorf("audit = %s, want org.sso_enable", a.Action)
	}
	// The connection in use keeps its tested settings and cannot be removed.
	before = e.snap([]string{tn.ID})
	s := json.RawMessage(`{"metadataUrl":"https://evil.example.com"}`)
	_, err = e.s.UpdateConnection(e.ctx, tn.Actor, tn.ID, tested.ID, store.ConnectionChange{Settings: &s})
	e.wantRule(err, store.RuleSSOTested, "new settings for the connection in use")
	e.wantRule(e.s.DeleteConnection(e.ctx, tn.Actor, tn.ID, tested.ID), store.RuleSSOTested, "deleting the connection in use")
	e.unchanged(before, "changing the connection in use")
	must(e.s.UpdateConnection(e.ctx, tn.Actor, tn.ID, tested.ID, store.ConnectionChange{Name: new("Renamed " + rnd())}))(e)

	o = must(e.s.DisableSSO(e.ctx, tn.Actor, tn.ID))(e)
	if o.SSOEnabled || o.SSOConnectionID != "" {
		e.Errorf("DisableSSO = %+v", o)
	}
	// New settings clear the test: enabling needs a new test sign-in.
	changed := must(e.s.UpdateConnection(e.ctx, tn.Actor, tn.ID, tested.ID, store.ConnectionChange{Settings: &s}))(e)
	_, err = e.s.EnableSSO(e.ctx, tn.Actor, tn.ID, changed.ID)
	e.wantRule(err, store.RuleSSOTested, "EnableSSO after the settings changed")
	if got := must(e.s.GetOrg(e.ctx, other.ID))(e); got.SSOEnabled {
		e.Errorf("another org's SSO changed")
	}
}
