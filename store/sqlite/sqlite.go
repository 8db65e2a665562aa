package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// BusyTimeout is how long a connection waits for another process's lock.
const BusyTimeout = 10 * time.Second

// DB is an SQLite database file.
type DB struct {
	write      *sql.DB // one connection; transactions BEGIN IMMEDIATE
	read       *sql.DB // query_only connections for ReadTx
	migrations []sqlstore.Migration
	closed     atomic.Bool
}

var _ store.Backend = (*DB)(nil)

var dialect = sqlstore.Dialect{
	Time:   func(t time.Time) any { return t.UnixMicro() },
	Fold:   func(expr string) string { return expr },
	Exact:  func(expr string) string { return expr + " COLLATE BINARY" },
	Binary: func(expr string) string { return expr },
	Err:    translate,
	JSON:   sqlstore.SQLiteJSON,
	JSONArrayAgg: func(expr string) string {
		return "json_group_array(" + expr + " ORDER BY " + expr + ")"
	},
}

// Open opens (creating it when absent) the database file at path. Call
// Migrate before use.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: bad database path %q", path)
	}
	ms, err := sqlstore.ParseMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"+
		// LIKE is case-sensitive, as on PostgreSQL: case-insensitive
		// searches lower both sides.
		"&_pragma=case_sensitive_like(1)",
		BusyTimeout.Milliseconds())
	write, err := sql.Open("sqlite", path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The write connection creates the file and switches it to WAL before any reader opens it.
	if err := write.PingContext(ctx); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, translate(err))
	}
	read, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &DB{write: write, read: read, migrations: ms}, nil
}

// Migrate applies the missing migrations, each in its own IMMEDIATE
// transaction, so concurrent processes apply each one once.
func (db *DB) Migrate(ctx context.Context) error {
	if db.closed.Load() {
		return store.ErrUnavailable
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	err := sqlstore.Apply(ctx, db.migrations, &dialect, time.Now, func(ctx context.Context, fn func(sqlstore.Conn) error) error {
		return db.run(ctx, db.write, nil, func(c sqlstore.Conn) error { return fn(c) })
	})
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// InTx runs fn in one write transaction (BEGIN IMMEDIATE on the single write
// connection) and commits when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return db.run(ctx, db.write, nil, func(c sqlstore.Conn) error { return fn(sqlstore.New(c, &dialect)) })
}

// ReadTx runs fn in a read transaction on the read pool: one WAL snapshot.
func (db *DB) ReadTx(ctx context.Context, fn func(store.Tx) error) error {
	return db.run(ctx, db.read, &sql.TxOptions{ReadOnly: true}, func(c sqlstore.Conn) error { return fn(sqlstore.NewReadOnly(c, &dialect)) })
}

func (db *DB) run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(sqlstore.Conn) error) (err error) {
	if db.closed.Load() {
		return store.ErrUnavailable
	}
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(conn{tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		committed = true // database/sql has ended the transaction either way
		return fmt.Errorf("sqlite: commit: %w", translate(err))
	}
	committed = true
	return nil
}

// Ready returns nil when the file answers and every migration is applied.
func (db *DB) Ready(ctx context.Context) error {
	if db.closed.Load() {
		return store.ErrUnavailable
	}
	if err := sqlstore.CheckApplied(ctx, db.read.QueryRowContext(ctx, sqlstore.AppliedVersionSQL), db.migrations); err != nil {
		return fmt.Errorf("sqlite: %w", translate(err))
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.closed.Store(true)
	return errors.Join(db.read.Close(), db.write.Close())
}

// conn adapts a database/sql transaction to sqlstore.Conn.
type conn struct{ tx *sql.Tx }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	r, err := c.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (c conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r, err := c.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return c.tx.QueryRowContext(ctx, q, args...)
}

type rows struct{ *sql.Rows }

func (r rows) Close() { _ = r.Rows.Close() }

// conflictFields names the field of each unique constraint, by the columns
// SQLite reports ("UNIQUE constraint failed: table.col, table.col").
var conflictFields = map[string]string{
	"orgs.slug":          "slug",
	"org_domains.domain": "domain",
	"accounts.email":     "email",
	"memberships.org_id, memberships.account_id":       "membership",
	"memberships.org_id, memberships.external_id":      "external_id",
	"index 'memberships_user_name_key'":                "user_name",
	"groups.org_id, groups.display_name":               "group_name",
	"group_members.group_id, group_members.account_id": "group_member",
	"connections.org_id, connections.name":             "connection_name",
	"scim_tokens.hash":                                 "token",
	"sessions.hash":                                    "token",
	"one_time_tokens.hash":                             "token",
}

// translate maps the driver's errors to store errors; see sqlstore.Dialect.Err.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if errors.Is(err, sql.ErrConnDone) { // a closed DB answers ErrUnavailable before reaching here
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &store.ConflictError{Field: conflictField(se.Error())}
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %w", sqlstore.ErrForeignKey, err)
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %w", store.ErrRetry, err)
	case code&0xff == sqlite3.SQLITE_CANTOPEN || code&0xff == sqlite3.SQLITE_IOERR || code&0xff == sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// conflictField reads the columns from "... UNIQUE constraint failed: t.a, t.b (2067)".
func conflictField(msg string) string {
	_, cols, ok := strings.Cut(msg, "UNIQUE constraint failed: ")
	if !ok {
		return "unknown"
	}
	if i := strings.LastIndex(cols, " ("); i >= 0 {
		cols = cols[:i]
	}
	if f, ok := conflictFields[cols]; ok {
		return f
	}
	if strings.HasSuffix(cols, ".id") {
		return "id"
	}
	return cols
}
