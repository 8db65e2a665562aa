package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Defaults applied when the URL does not set them.
const (
	DefaultMaxConns         = 10
	DefaultStatementTimeout = 10 * time.Second
	// idleInTxTimeout ends a transaction left open by a stuck client, so its locks go.
	idleInTxTimeout = time.Minute
)

// migrateLockKey is the pg_advisory_lock key that serializes Migrate across replicas.
const migrateLockKey int64 = 0x1db71d6e

// DB is a PostgreSQL database.
type DB struct {
	pool       *pgxpool.Pool
	cfg        *pgxpool.Config
	migrations []sqlstore.Migration
	// listen is the LISTEN connection of WatchSCIMTokens (listen.go).
	listen listener
}

var _ store.Backend = (*DB)(nil)

var dialect = sqlstore.Dialect{
	ShareLock:  " FOR KEY SHARE",
	UpdateLock: " FOR UPDATE",
	SkipLocked: " SKIP LOCKED",
	Time:       func(t time.Time) any { return t },
	Fold:       func(expr string) string { return "lower(" + expr + ")" },
	Exact:      func(expr string) string { return expr },
	Binary:     func(expr string) string { return "(" + expr + `) COLLATE "C"` },
	Err:        translate,
	JSON:       sqlstore.PostgresJSON,
	JSONArrayAgg: func(expr string) string {
		return "json_agg(" + expr + " ORDER BY " + expr + ")::text"
	},
	EventHorizon: eventHorizon,
}

// Open connects to the database at url (postgres://...), checking that it
// answers. Call Migrate before use.
func Open(ctx context.Context, url string) (*DB, error) {
	ms, err := sqlstore.ParseMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	params := cfg.ConnConfig.RuntimeParams
	if _, ok := params["statement_timeout"]; !ok {
		params["statement_timeout"] = fmt.Sprint(DefaultStatementTimeout.Milliseconds())
	}
	if _, ok := params["idle_in_transaction_session_timeout"]; !ok {
		params["idle_in_transaction_session_timeout"] = fmt.Sprint(idleInTxTimeout.Milliseconds())
	}
	// Every statement is planned for its values. PostgreSQL's default keeps
	// a generic plan after five runs when it looks no dearer, and a plan made
	// while a table is nearly empty (an org's initial sync starts so) can be a
	// scan of the whole org, kept until the next autoanalyze: lookups then
	// slowed tenfold as the table grew. A generic plan also cannot see a LIKE
	// pattern, so it would not pick the trigram indexes for the member
	// search. The hot statements are kept cheap to plan instead (the SCIM
	// userName lookup probes one index: migration 0006).
	if _, ok := params["plan_cache_mode"]; !ok {
		params["plan_cache_mode"] = "force_custom_plan"
	}
	if _, ok := params["application_name"]; !ok {
		params["application_name"] = "idbridge"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", translate(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", translate(err))
	}
	return &DB{pool: pool, cfg: cfg, migrations: ms}, nil
}

// Pool is the connection pool, for operator tools and tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Migrate applies the missing migrations. It holds a session-level advisory
// lock on a dedicated connection (without statement_timeout, as migrations
// and the wait for another replica's may be long), so replicas starting
// together apply each migration once; the lock is released after.
func (db *DB) Migrate(ctx context.Context) (err error) {
	cc := db.cfg.ConnConfig.Copy()
	cc.RuntimeParams["statement_timeout"] = "0"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("postgres: migrate lock: %w", translate(err))
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey); uerr != nil && err == nil {
			err = fmt.Errorf("postgres: migrate unlock: %w", translate(uerr))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", translate(err))
	}
	err = sqlstore.Apply(ctx, db.migrations, &dialect, time.Now, func(ctx context.Context, fn func(sqlstore.Conn) error) error {
		return pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{}, func(tx pgx.Tx) error { return fn(txConn{tx}) })
	})
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// InTx runs fn in one READ COMMITTED transaction and commits when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return db.runPipelined(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(c sqlstore.Conn) error { return fn(sqlstore.New(c, &dialect)) })
}

// InTxHotRow is InTx for a transaction whose last write is to a row many
// transactions update (a big group's updated_at). It commits without
// waiting for the disk, so the row lock is released at once instead of after
// the flush, then waits for the disk with a second, empty commit that does,
// sent in the same batch (WAL is flushed in order, so its flush covers the
// first). The caller learns of success only once the change is durable, as
// with InTx; others may read it a flush earlier. Member adds to one group
// from 16 workers no longer queue behind each other's flushes, and the
// flushes are shared.
func (db *DB) InTxHotRow(ctx context.Context, fn func(store.Tx) error) error {
	return db.runPipelinedThen(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted},
		"SET LOCAL synchronous_commit = off",
		// An xid makes this a commit that is flushed (synchronous_commit as
		// the session has it, on by default). Sent with COMMIT: no round trip.
		"SELECT pg_current_xact_id()",
		func(c sqlstore.Conn) error { return fn(sqlstore.New(c, &dialect)) })
}

// ReadTx runs fn in a read-only REPEATABLE READ transaction: one snapshot.
func (db *DB) ReadTx(ctx context.Context, fn func(store.Tx) error) error {
	return db.runPipelined(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(c sqlstore.Conn) error { return fn(sqlstore.NewReadOnly(c, &dialect)) })
}

// ReadStatement runs fn, a read of one statement, on a pooled connection
// without an explicit transaction: the statement is its own transaction (one
// snapshot), so it costs one round trip instead of the two of BEGIN with it
// and then COMMIT. A second statement fails with store.ErrOneStatement (the
// store then runs fn again in ReadTx), a write with an error.
func (db *DB) ReadStatement(ctx context.Context, fn func(store.Tx) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: acquire: %w", translate(err))
	}
	defer conn.Release()
	return fn(sqlstore.NewReadOnly(&oneStatement{conn: conn}, &dialect))
}

// oneStatement is the sqlstore.Conn of ReadStatement.
type oneStatement struct {
	conn *pgxpool.Conn
	used bool
}

var errWriteOutsideTx = errors.New("postgres: a write outside a transaction")

func (c *oneStatement) Exec(context.Context, string, ...any) (int64, error) {
	return 0, errWriteOutsideTx
}

func (c *oneStatement) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	if c.used {
		return nil, store.ErrOneStatement
	}
	c.used = true
	rows, err := c.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c *oneStatement) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	if c.used {
		return firstRow{err: store.ErrOneStatement}
	}
	c.used = true
	return c.conn.QueryRow(ctx, q, args...)
}

// Ready returns nil when the database answers and every migration is applied.
func (db *DB) Ready(ctx context.Context) error {
	if err := sqlstore.CheckApplied(ctx, db.pool.QueryRow(ctx, sqlstore.AppliedVersionSQL), db.migrations); err != nil {
		return fmt.Errorf("postgres: %w", translate(err))
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.stopListening()
	db.pool.Close()
	return nil
}

// txConn adapts a pgx transaction to sqlstore.Conn.
type txConn struct{ tx pgx.Tx }

func (c txConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.tx.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (c txConn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c txConn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return c.tx.QueryRow(ctx, q, args...)
}

// conflictFields names the field of each unique constraint (see migrations/).
var conflictFields = map[string]string{
	"orgs_slug_key":               "slug",
	"org_domains_pkey":            "domain",
	"accounts_email_key":          "email",
	"memberships_pkey":            "membership",
	"memberships_external_id_key": "external_id",
	"memberships_user_name_key":   "user_name",
	"groups_name_key":             "group_name",
	"group_members_pkey":          "group_member",
	"connections_name_key":        "connection_name",
	"scim_tokens_hash_key":        "token",
	"sessions_pkey":               "token",
	"one_time_tokens_pkey":        "token",
}

// translate maps pgx errors to store errors; see sqlstore.Dialect.Err.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// A failed connection attempt is unavailable whatever the server said
	// (the database does not accept connections, is starting, or is gone).
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			if f, ok := conflictFields[pe.ConstraintName]; ok {
				return &store.ConflictError{Field: f}
			}
			if strings.HasSuffix(pe.ConstraintName, "_pkey") || pe.ConstraintName == "groups_org_id_key" {
				return &store.ConflictError{Field: "id"}
			}
			return &store.ConflictError{Field: pe.ConstraintName}
		case pe.Code == "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", sqlstore.ErrForeignKey, err)
		case pe.Code == "40001" || pe.Code == "40P01": // serialization_failure, deadlock_detected
			return fmt.Errorf("%w: %w", store.ErrRetry, err)
		case strings.HasPrefix(pe.Code, "08"), // connection_exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, cannot connect now
			pe.Code == "53300": // too_many_connections
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	var ne net.Error
	if errors.Is(err, puddle.ErrClosedPool) || errors.As(err, &ne) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// eventHorizon is the oldest transaction id, as of the statement's snapshot,
// that may still commit events of this database: the snapshot's in-progress
// transactions, but those pg_stat_activity shows running in another database
// (transaction ids are cluster-wide, so a long transaction of another
// database must not hold this one's feed back); with none, the snapshot's
// xmax. A transaction that committed after the snapshot, or one whose
// session this role cannot see, counts as possibly ours: the horizon errs
// early, never late, so a cursor never passes an event that commits later.
const eventHorizon = `(SELECT COALESCE(
	(SELECT min(x::text::bigint) FROM pg_snapshot_xip(cs.s) AS x WHERE NOT EXISTS (
		SELECT 1 FROM pg_stat_activity a WHERE a.datname IS DISTINCT FROM current_database()
		AND a.backend_xid IS NOT NULL AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
	pg_snapshot_xmax(cs.s)::text::bigint) FROM (SELECT pg_current_snapshot() AS s) cs)`
