// Package postgres is idbridge's production backend: PostgreSQL through a
// pgx/v5 connection pool, shared by several idbridge replicas.
//
// Write transactions run at READ COMMITTED; the rows a rule reads are locked
// with the store.Lock modes (FOR KEY SHARE, FOR UPDATE), which is enough for
// the rules. A serialization failure or deadlock comes back wrapping
// store.ErrRetry, and Store retries the transaction. Read transactions are
// READ ONLY at REPEATABLE READ, so a page and its total come from one snapshot.
// Every connection carries a statement_timeout (10 s unless the URL sets one).
//
// Migrate applies the embedded migrations/ in order, each in its own
// transaction, under a session-level pg_advisory_lock held on a dedicated
// connection, so replicas starting together migrate once. The schema needs
// the pg_trgm extension (postgresql-contrib) for member search: the first
// migration creates it, which takes a role allowed to CREATE EXTENSION.
//
// The SQL itself is store/sqlstore's; this package adapts pgx to
// sqlstore.Conn, supplies the PostgreSQL dialect and translates SQLSTATEs to
// store errors in one function. store/postgres/pgtest makes throw-away test
// databases.
package postgres
