package postgres

// HoldReconnect makes db's LISTEN connection, once lost, wait for a send on
// the returned channel before reconnecting. Call before db's first watch.
func HoldReconnect(db *DB) chan struct{} {
	db.listen.hold = make(chan struct{})
	return db.listen.hold
}
