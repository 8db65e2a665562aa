package sqlstore

import "context"

// Pipeliner is implemented by a Conn that can hold back writes whose results
// the caller does not need at once, and send them to the database together
// with the next statement or with the commit (PostgreSQL: one pgx batch,
// one round trip). A Conn without it runs every statement at once (SQLite).
//
// Queued statements still run in order, inside the transaction, before any
// later statement. When one fails, its error (as fail returns it) is the
// transaction's: the Conn returns it from every later call, and the
// backend's InTx returns it, not whatever fn returned, and rolls back.
type Pipeliner interface {
	// Queue holds back sql. fail translates the driver's error should it
	// fail. Queue returns the transaction's error when it has already failed.
	Queue(ctx context.Context, fail func(error) error, sql string, args ...any) error
}

// execLater runs a write whose outcome only matters to the transaction as a
// whole (it affects one row or fails): queued when the Conn pipelines,
// otherwise at once. Errors are translated as by exec.
func (t *Tx) execLater(ctx context.Context, op, q string, args ...any) error {
	if p, ok := t.c.(Pipeliner); ok && !t.readOnly {
		return p.Queue(ctx, func(err error) error { return t.err(op, err) }, q, args...)
	}
	_, err := t.exec(ctx, op, q, args...)
	return err
}
