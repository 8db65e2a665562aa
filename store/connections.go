package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// NewConnection is the input of CreateConnection. Settings is the protocol
// package's JSON; it must not hold plain-text secrets.
type NewConnection struct {
	Kind     ConnectionKind
	Name     string
	Settings json.RawMessage
}

func checkConnection(kind ConnectionKind, name string, settings json.RawMessage) (string, error) {
	if kind != ConnectionSAML && kind != ConnectionOIDC {
		return "", invalid("kind", "%q is not one of saml, oidc", kind)
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", invalid("name", "a connection name of 1 to 200 characters is required")
	}
	if len(settings) > 0 && !json.Valid(settings) {
		return "", invalid("settings", "not valid JSON")
	}
	return name, nil
}

// CreateConnection adds an SSO connection to an org.
func (s *Store) CreateConnection(ctx context.Context, actor Actor, orgID string, in NewConnection) (Connection, error) {
	name, err := checkConnection(in.Kind, in.Name, in.Settings)
	if err != nil {
		return Connection{}, err
	}
	var c Connection
	err = s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorizeSSO(ctx, tx, actor, orgID); err != nil {
			return err
		}
		c = Connection{ID: newID(), OrgID: orgID, Kind: in.Kind, Name: name, Settings: in.Settings, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertConnection(ctx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "connection.create", "connection", c.ID, nil, connectionView(c))
	})
	return c, err
}

// authorizeSSO: SSO settings belong to admins and support, not to SCIM tokens.
func authorizeSSO(ctx context.Context, tx Tx, actor Actor, orgID string) error {
	if actor.Kind == ActorSCIM {
		return fmt.Errorf("%w: a SCIM token cannot manage SSO", ErrForbidden)
	}
	return authorize(ctx, tx, actor, orgID)
}

func connectionView(c Connection) map[string]any {
	return map[string]any{"kind": c.Kind, "name": c.Name, "testedAt": c.TestedAt}
}

// GetConnection returns one connection of an org.
func (s *Store) GetConnection(ctx context.Context, orgID, id string) (c Connection, err error) {
	err = s.read(ctx, func(tx Tx) error { c, err = tx.GetConnection(ctx, orgID, id, LockNone); return err })
	return c, err
}

// ConnectionByID returns a connection by id alone (the SAML ACS and OIDC callback URLs carry it).
func (s *Store) ConnectionByID(ctx context.Context, id string) (c Connection, err error) {
	err = s.read(ctx, func(tx Tx) error { c, err = tx.GetConnectionByID(ctx, id); return err })
	return c, err
}

// ListConnections lists an org's connections.
func (s *Store) ListConnections(ctx context.Context, orgID string) (cs []Connection, err error) {
	err = s.read(ctx, func(tx Tx) error { cs, err = tx.ListConnections(ctx, orgID); return err })
	return cs, err
}

// ConnectionChange renames a connection or replaces its settings. New settings
// clear the recorded test: they must be tested again before SSO uses them.
type ConnectionChange struct {
	Name     *string
	Settings *json.RawMessage
}

// UpdateConnection changes a connection. The connection SSO is enabled with
// cannot get new settings while SSO is on (disable SSO or test another first).
func (s *Store) UpdateConnection(ctx context.Context, actor Actor, orgID, id string, in ConnectionChange) (Connection, error) {
	var c Connection
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorizeSSO(ctx, tx, actor, orgID); err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, orgID, LockShare)
		if err != nil {
			return err
		}
		before, err := tx.GetConnection(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		c = before
		if in.Name != nil {
			c.Name = *in.Name
		}
		if in.Settings != nil {
			if org.SSOEnabled && org.SSOConnectionID == id {
				return refuse(RuleSSOTested, "SSO is enabled with %q; disable SSO before changing its settings.", c.Name)
			}
			c.Settings, c.TestedAt = *in.Settings, nil
		}
		if c.Name, err = checkConnection(c.Kind, c.Name, c.Settings); err != nil {
			return err
		}
		c.UpdatedAt = now
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "connection.update", "connection", id, connectionView(before), connectionView(c))
	})
	return c, err
}

// RecordConnectionTest records a successful test sign-in through a connection (rule 12).
func (s *Store) RecordConnectionTest(ctx context.Context, actor Actor, orgID, id string) (Connection, error) {
	var c Connection
	err := s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorizeSSO(ctx, tx, actor, orgID); err != nil {
			return err
		}
		var err error
		if c, err = tx.GetConnection(ctx, orgID, id, LockUpdate); err != nil {
			return err
		}
		c.TestedAt, c.UpdatedAt = &now, now
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "connection.test_passed", "connection", id, nil, connectionView(c))
	})
	return c, err
}

// DeleteConnection removes a connection; the one SSO is enabled with cannot be removed.
func (s *Store) DeleteConnection(ctx context.Context, actor Actor, orgID, id string) error {
	return s.write(ctx, func(tx Tx, now time.Time) error {
		if err := authorizeSSO(ctx, tx, actor, orgID); err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, orgID, LockShare)
		if err != nil {
			return err
		}
		c, err := tx.GetConnection(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		if org.SSOEnabled && org.SSOConnectionID == id {
			return refuse(RuleSSOTested, "SSO is enabled with %q; disable SSO before removing it.", c.Name)
		}
		if err := tx.DeleteConnection(ctx, orgID, id); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, orgID, "connection.delete", "connection", id, connectionView(c), nil)
	})
}
