package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idbridge/idbridge/store/sqlstore"
)

// pipeTx is one transaction on a pooled connection that saves round trips:
// BEGIN is not sent alone but with the first statement, and writes queued
// through sqlstore.Pipeliner go in one pgx batch (one round trip) with the
// next statement or with COMMIT. Statements still run one after the other,
// in order, inside the transaction. CreateMember with an invitation costs
// three round trips this way instead of ten (pipeline_test.go).
type pipeTx struct {
	conn *pgxpool.Conn
	// begin is the BEGIN statement while it is unsent.
	begin  string
	queued []queuedStmt
	// afterCommit, when set, goes in the batch of COMMIT, after it: its own
	// transaction.
	afterCommit string
	// err is the first failure of a queued statement, already translated:
	// the transaction's outcome. Every later call returns it.
	err error
}

type queuedStmt struct {
	sql  string
	args []any
	fail func(error) error
}

var (
	_ sqlstore.Conn      = (*pipeTx)(nil)
	_ sqlstore.Pipeliner = (*pipeTx)(nil)
)

func beginSQL(opts pgx.TxOptions) string {
	s := "BEGIN ISOLATION LEVEL " + string(opts.IsoLevel)
	if opts.AccessMode != "" {
		s += " " + string(opts.AccessMode)
	}
	return s
}

// Queue holds sql back until the next statement or the commit.
func (p *pipeTx) Queue(_ context.Context, fail func(error) error, sql string, args ...any) error {
	if p.err != nil {
		return p.err
	}
	p.queued = append(p.queued, queuedStmt{sql: sql, args: args, fail: fail})
	return nil
}

// pending reports whether a statement must go in a batch with what waits.
func (p *pipeTx) pending() bool { return p.begin != "" || len(p.queued) > 0 }

// send sends BEGIN (if unsent), the queued statements and then sql (when
// not ""), in one batch, and reads the results of all but sql. On failure
// the batch is closed and the error, translated, is returned and kept in p.err.
func (p *pipeTx) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	begin, queued := p.begin, p.queued
	p.begin, p.queued = "", nil
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(queued)+2)}
	if begin != "" {
		b.Queue(begin)
	}
	for _, q := range queued {
		b.Queue(q.sql, q.args...)
	}
	if sql != "" {
		b.Queue(sql, args...)
	}
	if sql == "COMMIT" && p.afterCommit != "" {
		b.Queue(p.afterCommit)
	}
	br := p.conn.SendBatch(ctx, b)
	if begin != "" {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			// Nothing may run after this: it would run outside a transaction.
			p.err = fmt.Errorf("postgres: begin: %w", translate(err))
			return nil, p.err
		}
	}
	for _, q := range queued {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			p.err = q.fail(err)
			return nil, p.err
		}
	}
	return br, nil
}

func (p *pipeTx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if p.err != nil {
		return 0, p.err
	}
	if !p.pending() {
		tag, err := p.conn.Exec(ctx, sql, args...)
		return tag.RowsAffected(), err
	}
	br, err := p.send(ctx, sql, args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag.RowsAffected(), err
}

func (p *pipeTx) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	if p.err != nil {
		return nil, p.err
	}
	if !p.pending() {
		rows, err := p.conn.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		return rows, nil
	}
	br, err := p.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (p *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	if p.err == nil && !p.pending() {
		return p.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := p.Query(ctx, sql, args...)
	return firstRow{rows: rows, err: err}
}

// commit sends what waits and COMMIT in one batch. A transaction that sent
// nothing has nothing to commit.
func (p *pipeTx) commit(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if p.begin != "" && len(p.queued) == 0 {
		return nil
	}
	br, err := p.send(ctx, "COMMIT", nil)
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if err == nil && tag.String() != "COMMIT" {
		err = pgx.ErrTxCommitRollback // the transaction had failed: PostgreSQL rolled it back
	}
	if err == nil && p.afterCommit != "" {
		if _, aerr := br.Exec(); aerr != nil {
			_ = br.Close()
			return fmt.Errorf("postgres: after commit: %w", translate(aerr))
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("postgres: commit: %w", translate(err))
	}
	return nil
}

// rollback ends the transaction if one is open on the connection.
func (p *pipeTx) rollback(ctx context.Context) {
	pc := p.conn.Conn().PgConn()
	if pc.IsClosed() || pc.TxStatus() == 'I' {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// On failure the pool destroys the connection, left inside a transaction, on Release.
	_, _ = p.conn.Exec(rctx, "ROLLBACK")
}

// batchRows are the rows of the last statement of a batch; closing them closes the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.br.Close()
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is a Row over rows, as pgx's QueryRow: no row is pgx.ErrNoRows.
type firstRow struct {
	rows sqlstore.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// runPipelined runs fn in one transaction of opts on a pooled connection
// (see pipeTx). The first failure of a queued write is the outcome, whatever
// fn returned after it.
func (db *DB) runPipelined(ctx context.Context, opts pgx.TxOptions, fn func(sqlstore.Conn) error) (err error) {
	return db.runPipelinedThen(ctx, opts, "", "", fn)
}

// runPipelinedThen is runPipelined with setup (a SET LOCAL), when set, sent
// with BEGIN, and after, when set, sent in the batch of COMMIT, after it.
func (db *DB) runPipelinedThen(ctx context.Context, opts pgx.TxOptions, setup, after string, fn func(sqlstore.Conn) error) (err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", translate(err))
	}
	p := &pipeTx{conn: conn, begin: beginSQL(opts), afterCommit: after}
	if setup != "" {
		p.queued = append(p.queued, queuedStmt{sql: setup, fail: func(err error) error { return fmt.Errorf("postgres: begin: %w", translate(err)) }})
	}
	committed := false
	defer func() {
		if !committed {
			p.rollback(ctx)
		}
		conn.Release()
	}()
	ferr := fn(p)
	if p.err != nil {
		return p.err
	}
	if ferr != nil {
		return ferr
	}
	if err := p.commit(ctx); err != nil {
		return err
	}
	committed = true
	return nil
}
