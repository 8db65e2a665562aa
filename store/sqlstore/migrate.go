package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one forward-only schema change, from a file named NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ParseMigrations reads the *.sql files of dir in fsys, ordered by version.
func ParseMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same version", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Latest is the version of the last migration.
func Latest(ms []Migration) int { return ms[len(ms)-1].Version }

// Apply runs, in order, each migration not yet recorded in
// schema_migrations, each with its record in its own transaction. The table
// must exist. inTx runs fn in one transaction and commits when it returns nil.
// Callers serialize Apply across processes (PostgreSQL: an advisory lock;
// SQLite: the write lock of BEGIN IMMEDIATE).
func Apply(ctx context.Context, ms []Migration, d *Dialect, now func() time.Time,
	inTx func(context.Context, func(Conn) error) error) error {
	for _, m := range ms {
		err := inTx(ctx, func(c Conn) error {
			var n int
			if err := c.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := c.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := c.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.Version, d.Time(now().UTC().Truncate(time.Microsecond)))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, d.Err(err))
		}
	}
	return nil
}

// CheckApplied returns nil when the latest migration of ms is applied.
func CheckApplied(ctx context.Context, r Row, ms []Migration) error {
	var v int
	if err := r.Scan(&v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if v < Latest(ms) {
		return fmt.Errorf("schema version %d, want %d: run idbridge migrate", v, Latest(ms))
	}
	return nil
}

// AppliedVersionSQL selects the highest applied version (0 when none).
const AppliedVersionSQL = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
