package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idbridge/idbridge/store"
)

// scimTokenChannel is notified, at commit, with the id of each SCIM token that
// is revoked, renamed or deleted (trigger of migration 0005).
const scimTokenChannel = "idbridge_scim_token_revoked"

// Liveness of the listening connection: with no notification for pingEvery it
// runs a query, and a connection that does not answer within pingTimeout is
// given up (the watch goes down, so the cache is bypassed) and replaced.
var (
	pingEvery   = time.Second
	pingTimeout = time.Second
	retryEvery  = time.Second
)

// ListenerApplicationName is the application_name of the LISTEN connection.
const ListenerApplicationName = "idbridge-listen"

var _ store.SCIMTokenWatcher = (*DB)(nil)

// listener is DB's one LISTEN connection, shared by the Stores over DB.
type listener struct {
	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}

	// hold, when set (tests), is received from before each reconnection.
	hold chan struct{}

	mu       sync.Mutex
	up       bool
	watchers []store.SCIMTokenWatch
}

// each calls fn on every watcher, under mu (so sequentially), after setting up.
func (l *listener) each(up bool, fn func(store.SCIMTokenWatch)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.up = up
	for _, w := range l.watchers {
		fn(w)
	}
}

func (l *listener) changed(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.watchers {
		w.Changed(id)
	}
}

// WatchSCIMTokens implements store.SCIMTokenWatcher with one dedicated LISTEN
// connection per DB, reconnecting until Close. w is down until it listens.
func (db *DB) WatchSCIMTokens(w store.SCIMTokenWatch) {
	l := &db.listen
	l.mu.Lock()
	l.watchers = append(l.watchers, w)
	if l.up {
		w.Up() // LISTEN is in place: every change from now on reaches w
	} else {
		w.Down()
	}
	l.mu.Unlock()
	l.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done = cancel, make(chan struct{})
		go func() {
			defer close(l.done)
			for ctx.Err() == nil {
				_ = db.listenOnce(ctx)
				l.each(false, store.SCIMTokenWatch.Down)
				if l.hold != nil {
					select {
					case <-ctx.Done():
					case <-l.hold:
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(retryEvery):
				}
			}
		}()
	})
}

// listenOnce connects, listens and reports until the connection fails.
func (db *DB) listenOnce(ctx context.Context) error {
	cc := db.cfg.ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = ListenerApplicationName
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cc)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+scimTokenChannel); err != nil {
		return err
	}
	// From here every change committed is delivered on conn.
	db.listen.each(true, store.SCIMTokenWatch.Up)
	for {
		wctx, cancel := context.WithTimeout(ctx, pingEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			db.listen.changed(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed():
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}

// stopListening ends the LISTEN connection, if any.
func (db *DB) stopListening() {
	db.listen.once.Do(func() {}) // no watch may start after Close
	if db.listen.cancel != nil {
		db.listen.cancel()
		<-db.listen.done
	}
}
