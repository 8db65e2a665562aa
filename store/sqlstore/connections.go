package sqlstore

import (
	"context"

	"github.com/idbridge/idbridge/store"
)

const connectionCols = `c.id, c.org_id, c.kind, c.name, c.settings, c.tested_at, c.created_at, c.updated_at`

func connectionDest(c *store.Connection) []any {
	return []any{textScan{&c.ID}, textScan{&c.OrgID}, &c.Kind, &c.Name, jsonScan{&c.Settings}, nullTimeScan{&c.TestedAt},
		timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt}}
}

// InsertConnection inserts a connection; a taken name in the org is a conflict on "connection_name".
func (t *Tx) InsertConnection(ctx context.Context, c store.Connection) error {
	if err := ids(&c.ID, &c.OrgID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "insert connection", `INSERT INTO connections (id, org_id, kind, name, settings, tested_at,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.OrgID, string(c.Kind), c.Name, optJSON(c.Settings), t.optTime(c.TestedAt), t.time(c.CreatedAt), t.time(c.UpdatedAt))
	return err
}

// GetConnection returns one connection of an org.
func (t *Tx) GetConnection(ctx context.Context, orgID, connectionID string, lock store.Lock) (store.Connection, error) {
	if err := ids(&orgID, &connectionID); err != nil {
		return store.Connection{}, err
	}
	var c store.Connection
	err := t.c.QueryRow(ctx, `SELECT `+connectionCols+` FROM connections c WHERE c.org_id = $1 AND c.id = $2`+t.lock(lock, ""),
		orgID, connectionID).Scan(connectionDest(&c)...)
	return c, t.err("get connection", err)
}

// GetConnectionByID finds a connection without knowing its org.
func (t *Tx) GetConnectionByID(ctx context.Context, connectionID string) (store.Connection, error) {
	if err := ids(&connectionID); err != nil {
		return store.Connection{}, err
	}
	var c store.Connection
	err := t.c.QueryRow(ctx, `SELECT `+connectionCols+` FROM connections c WHERE c.id = $1`, connectionID).Scan(connectionDest(&c)...)
	return c, t.err("get connection", err)
}

// UpdateConnection writes the name, settings, TestedAt and UpdatedAt of c.
func (t *Tx) UpdateConnection(ctx context.Context, c store.Connection) error {
	if err := ids(&c.OrgID, &c.ID); err != nil {
		return err
	}
	return t.execOne(ctx, "update connection", `UPDATE connections SET kind = $3, name = $4, settings = $5, tested_at = $6,
		updated_at = $7 WHERE org_id = $1 AND id = $2`,
		c.OrgID, c.ID, string(c.Kind), c.Name, optJSON(c.Settings), t.optTime(c.TestedAt), t.time(c.UpdatedAt))
}

// DeleteConnection deletes one connection of an org.
func (t *Tx) DeleteConnection(ctx context.Context, orgID, connectionID string) error {
	if err := ids(&orgID, &connectionID); err != nil {
		return err
	}
	return t.execOne(ctx, "delete connection", `DELETE FROM connections WHERE org_id = $1 AND id = $2`, orgID, connectionID)
}

// ListConnections lists an org's connections by name.
func (t *Tx) ListConnections(ctx context.Context, orgID string) ([]store.Connection, error) {
	if err := ids(&orgID); err != nil {
		return nil, err
	}
	var out []store.Connection
	err := t.queryAll(ctx, "list connections", `SELECT `+connectionCols+` FROM connections c WHERE c.org_id = $1
		ORDER BY c.name, c.id`, args{orgID}, func(r Rows) error {
		var c store.Connection
		err := r.Scan(connectionDest(&c)...)
		out = append(out, c)
		return err
	})
	return out, err
}
