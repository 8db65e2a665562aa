// Package sqlstore implements store.Tx once, in SQL that both backends run.
//
// A backend (store/postgres, store/sqlite) opens a transaction, adapts it to
// Conn, and hands it with its Dialect to New. The Dialect holds the few things
// that differ: row-lock clauses, how a time is bound, how a column is folded
// for case-insensitive comparison (so queries compare the way the unique
// indexes do and hit them), and the one function that turns the driver's
// errors into store errors (no rows → store.ErrNotFound, unique violation →
// *store.ConflictError, serialization failure → store.ErrRetry, lost
// connection → store.ErrUnavailable). Placeholders are $1, $2... on both.
//
// Every id argument is checked to be a UUID before any query: a malformed id
// answers store.ErrNotFound, never a driver error (which on PostgreSQL would
// also abort the transaction). Every query that takes an org is scoped by it.
//
// Writes nothing in the transaction reads back go through execLater: a Conn
// that implements Pipeliner sends them later, in one round trip with the next
// statement or the commit (pipeline.go); others run them at once.
//
// Migrations are embedded per backend; ParseMigrations reads and orders them.
package sqlstore
