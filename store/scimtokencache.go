package store

import (
	"sync"
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

// scimTokenCache holds validated tokens by hash while its watcher is up. A
// read that started before an eviction or a change of state (gen) may not
// fill it, so a token read before its revocation is never cached after it.
type scimTokenCache struct {
	mu        sync.Mutex
	up        bool
	gen       uint64
	byHash    map[string]SCIMToken
	evictions uint64
}

func newSCIMTokenCache() *scimTokenCache { return &scimTokenCache{byHash: map[string]SCIMToken{}} }

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

// get returns the cached token of hash, or the generation a database read
// must quote to put; ok is false too while the watcher is down.
func (c *scimTokenCache) get(hash []byte) (t SCIMToken, ok bool, gen uint64, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up {
		return SCIMToken{}, false, c.gen, false
	}
	t, ok = c.byHash[string(hash)]
	return t, ok, c.gen, true
}

// put caches t if nothing changed since gen was read.
func (c *scimTokenCache) put(hash []byte, t SCIMToken, gen uint64) {
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
	c.byHash[string(hash)] = t
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
