package server

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	scimerr "github.com/elimity-com/scim/errors"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
)

// inFlight bounds the SCIM requests in progress on this replica and per
// bearer token, so a burst of one IdP (or of all) cannot make every other
// request wait: one more waits up to wait for a place, then is answered at
// once, 429 when its token is over its share and 503 when the replica is
// full, both with Retry-After and a SCIM error body. Only the SCIM mount is
// behind it: health, readiness and the sign-in pages are not.
type inFlight struct {
	replica  chan struct{}
	perToken int
	wait     time.Duration

	mu     sync.Mutex
	tokens map[[sha256.Size]byte]*tokenSlots
}

// tokenSlots is one token's semaphore; users counts the requests holding or
// waiting for it, so an idle token's entry is dropped.
type tokenSlots struct {
	sem   chan struct{}
	users int
}

// scimMaxInFlight is cfg's bound, or twice the database pool when 0.
func scimMaxInFlight(cfg config.Config, b store.Backend) int {
	if cfg.SCIMMaxInFlight > 0 {
		return cfg.SCIMMaxInFlight
	}
	if p, ok := b.(interface{ Pool() *pgxpool.Pool }); ok {
		return 2 * int(p.Pool().Config().MaxConns)
	}
	return 2 * postgres.DefaultMaxConns
}

func newInFlight(max, perToken int, wait time.Duration) *inFlight {
	return &inFlight{replica: make(chan struct{}, max), perToken: perToken, wait: wait,
		tokens: map[[sha256.Size]byte]*tokenSlots{}}
}

// overloadRetryAfter is the Retry-After of a shed request, in seconds.
const overloadRetryAfter = 1

func (l *inFlight) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The token is not checked yet (that is database work): its hash only
		// picks the share. A request without one shares the "" share.
		key := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		timer := time.NewTimer(l.wait)
		defer timer.Stop()
		release, ok := l.acquireToken(key, timer.C)
		if !ok {
			shed(w, http.StatusTooManyRequests, "Too many requests in progress for this token; retry after the time in Retry-After.")
			return
		}
		defer release()
		select {
		case l.replica <- struct{}{}:
		default:
			select {
			case l.replica <- struct{}{}:
			case <-timer.C:
				shed(w, http.StatusServiceUnavailable, "The server is busy; retry after the time in Retry-After.")
				return
			case <-r.Context().Done():
				return
			}
		}
		defer func() { <-l.replica }()
		next.ServeHTTP(w, r)
	})
}

// acquireToken takes a place in key's share, waiting until expired fires.
func (l *inFlight) acquireToken(key [sha256.Size]byte, expired <-chan time.Time) (release func(), ok bool) {
	l.mu.Lock()
	t := l.tokens[key]
	if t == nil {
		t = &tokenSlots{sem: make(chan struct{}, l.perToken)}
		l.tokens[key] = t
	}
	t.users++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if t.users--; t.users == 0 {
			delete(l.tokens, key)
		}
		l.mu.Unlock()
	}
	select {
	case t.sem <- struct{}{}:
	default:
		select {
		case t.sem <- struct{}{}:
		case <-expired:
			done()
			return nil, false
		}
	}
	return func() { <-t.sem; done() }, true
}

// shed answers a request turned away for load, as SCIM.
func shed(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Retry-After", strconv.Itoa(overloadRetryAfter))
	w.WriteHeader(status)
	b, _ := json.Marshal(scimerr.ScimError{Status: status, Detail: detail})
	_, _ = w.Write(b)
}
