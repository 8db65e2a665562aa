// Package sqlite is idbridge's embedded backend: one SQLite file, through the
// pure-Go modernc.org/sqlite driver (no cgo). It is the default when no
// database URL is configured.
//
// SQLite allows one writer at a time, so DB keeps two pools on the same file:
// a single write connection whose transactions begin IMMEDIATE (they take the
// write lock up front, so two read-modify-write transactions never deadlock
// upgrading from read to write, even across processes), and a read pool of
// query_only connections for ReadTx, which WAL mode lets run beside the
// writer. Every connection enables foreign keys and waits on a busy timeout.
//
// The SQL itself is store/sqlstore's; this package adapts database/sql to
// sqlstore.Conn, supplies the SQLite dialect (unix-microsecond times,
// COLLATE NOCASE comparisons, no row locks) and translates the driver's
// errors in one function. Migrations are embedded from migrations/.
package sqlite
