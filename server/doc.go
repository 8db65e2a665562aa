// Package server wires idbridge together: it opens the store the
// configuration names (PostgreSQL or the embedded SQLite), migrates it, mounts
// the HTTP routes on a chi router (health, readiness, metrics, and the
// protocol packages), runs the outbox sender, and shuts down gracefully.
// cmd/idbridge only parses arguments and hands off to it, so tests start the
// same server on port 0.
package server
