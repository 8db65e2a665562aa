package store

import (
	"sync"
	"time"
)

// SCIMTokenWatcher is a Backend that tells every process at once of each
// committed change to a SCIM token row (revocation, deletion, also by another
// replica or the operator CLI). Only over such a backend does a Store cache
// validated tokens; over others every request checks the database.
type SCIMTokenWatcher interface {
	// WatchSCIMTokens starts watching (once per backend) and reports to w
	// until the backend is closed. w.Up is called once every change committed
	// from then on will be reported by w.Changed; w.Down as soon as one might
	// be missed (connection lost, not yet connected). Calls are sequential.
	WatchSCIMTokens(w SCIMTokenWatch)
}

// SCIMTokenWatch receives a SCIMTokenWatcher's reports.
type SCIMTokenWatch interface {
	Up()
	Down()
	Changed(tokenID string)
}

// maxCachedSCIMTokens bounds the cache of validated SCIM tokens.
const maxCachedSCIMTokens = 4096

// SCIMTokenCacheMaxAge bounds how long a validated SCIM token is trusted
// without asking the database again, counted from the start of the read
// that validated it. Notifications usually evict a changed token within
// milliseconds; this bound holds when they are late or lost, and
// RevokeSCIMToken waits it out before returning, so that once it returns
// every replica refuses the token.
const SCIMTokenCacheMaxAge = time.Second

// scimTokenCache holds validated tokens by hash while its watcher is up, each
// for at most SCIMTokenCacheMaxAge. A read that started before an eviction
// or a change of state (gen) may not fill it, so a token read before its
// revocation is never cached after it.
type scimTokenCache struct {
	mu        sync.Mutex
	up        bool
	gen       uint64
	byHash    map[string]cachedSCIMToken
	evictions uint64
}

type cachedSCIMToken struct {
	SCIMToken
	readAt time.Time // when the validating read started (monotonic)
}

func newSCIMTokenCache() *scimTokenCache {
	return &scimTokenCache{byHash: map[string]cachedSCIMToken{}}
}

// Up implements SCIMTokenWatch.
func (c *scimTokenCache) Up() {
	c.mu.Lock()
	c.up, c.gen = true, c.gen+1
	clear(c.byHash)
	c.mu.Unlock()
}

// Down implements SCIMTokenWatch: the cache is flushed and bypassed.
func (c *scimTokenCache) Down() {
	c.mu.Lock()
	c.up, c.gen = false, c.gen+1
	clear(c.byHash)
	c.mu.Unlock()
}

// Changed implements SCIMTokenWatch.
func (c *scimTokenCache) Changed(id string) {
	c.mu.Lock()
	c.gen++
	c.evictions++
	for h, t := range c.byHash {
		if t.ID == id {
			delete(c.byHash, h)
		}
	}
	c.mu.Unlock()
}

// get returns the cached token of hash, if younger than
// SCIMTokenCacheMaxAge, or the generation and time a database read must
// quote to put; ok is false too while the watcher is down.
func (c *scimTokenCache) get(hash []byte) (t SCIMToken, ok bool, gen uint64, now time.Time, up bool) {
	now = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up {
		return SCIMToken{}, false, c.gen, now, false
	}
	e, ok := c.byHash[string(hash)]
	if ok && now.Sub(e.readAt) >= SCIMTokenCacheMaxAge {
		delete(c.byHash, string(hash))
		ok = false
	}
	return e.SCIMToken, ok, c.gen, now, true
}

// put caches t, read from readAt on, if nothing changed since gen was read.
func (c *scimTokenCache) put(hash []byte, t SCIMToken, gen uint64, readAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up || c.gen != gen {
		return
	}
	if len(c.byHash) >= maxCachedSCIMTokens {
		for h := range c.byHash { // drop one arbitrary entry
			delete(c.byHash, h)
			break
		}
	}
	c.byHash[string(hash)] = cachedSCIMToken{SCIMToken: t, readAt: readAt}
}

// SCIMTokenCacheState reports whether SCIM tokens are being cached (the
// backend's watcher is up), how many are, and how many changes were reported.
// For tests and diagnostics.
func (s *Store) SCIMTokenCacheState() (caching bool, size int, changes uint64) {
	c := s.tokenCache
	if c == nil {
		return false, 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up, len(c.byHash), c.evictions
}
