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
// Round trips (pipeline.go): BEGIN goes with a transaction's first
// statement, and the writes sqlstore queues (sqlstore.Pipeliner: audit,
// outbox, token, sign-in and account inserts) go in one pgx batch with the
// next statement or with COMMIT; the first of them to fail is the
// transaction's error. Read-write transactions use PostgreSQL's plan cache;
// read-only ones plan each execution (plan_cache_mode), for the searches.
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
