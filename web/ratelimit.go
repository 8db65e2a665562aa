package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limit is a token bucket: Burst requests at once, then one every Every.
type Limit struct {
	Burst int
	Every time.Duration
}

// limiters hold one bucket per key ("ip:..." or "acct:..."), in this process
// only: with several replicas each enforces its own budget.
type limiters struct {
	lim Limit
	now func() time.Time
	max int // buckets kept before full ones are pruned

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiters(lim Limit, now func() time.Time) *limiters {
	return &limiters{lim: lim, now: now, max: 100_000, buckets: map[string]*bucket{}}
}

// allow takes one token from every key's bucket, or none when one is empty;
// it then says how long until that bucket has a token again.
func (l *limiters) allow(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	bs := make([]*bucket, 0, len(keys))
	for _, k := range keys {
		b := l.fill(k, now)
		bs = append(bs, b)
		if b.tokens < 1 {
			need := time.Duration((1 - b.tokens) * float64(l.lim.Every))
			wait = max(wait, need)
		}
	}
	if wait > 0 {
		return false, wait
	}
	for _, b := range bs {
		b.tokens--
	}
	return true, 0
}

func (l *limiters) fill(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		for k := range l.buckets { // still full of live buckets: forget some (random order)
			if len(l.buckets) < l.max*9/10 {
				break
			}
			delete(l.buckets, k)
		}
		b = &bucket{tokens: float64(l.lim.Burst), at: now}
		l.buckets[key] = b
		return b
	}
	if el := now.Sub(b.at); el > 0 && l.lim.Every > 0 {
		b.tokens = math.Min(float64(l.lim.Burst), b.tokens+float64(el)/float64(l.lim.Every))
		b.at = now
	}
	return b
}

// prune drops buckets that have refilled: forgetting them changes nothing.
func (l *limiters) prune(now time.Time) {
	full := time.Duration(l.lim.Burst) * l.lim.Every
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
}

// limitKeys are the buckets of one request: the client's IP and, when an
// email is given, the account it names.
func limitKeys(r *http.Request, email string) []string {
	keys := []string{"ip:" + clientIP(r)}
	if e := strings.ToLower(strings.TrimSpace(email)); e != "" {
		keys = append(keys, "acct:"+e)
	}
	return keys
}

// holdRejected waits Options.RejectHold (or until the client goes away)
// before a refused sign-in is answered, unless MaxHeld already wait.
func (w *Web) holdRejected(r *http.Request) {
	select {
	case w.held <- struct{}{}:
		defer func() { <-w.held }()
	default:
		return
	}
	t := time.NewTimer(w.opt.RejectHold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// tooMany answers 429 with Retry-After and a readable page.
func (w *Web) tooMany(rw http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	rw.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	w.log.Warn("web.rate_limited", "path", r.URL.Path)
	w.render(rw, r, http.StatusTooManyRequests, "message", page{Title: "Too many attempts",
		Error: "Too many attempts. Wait " + humanWait(secs) + " and try again."})
}

func humanWait(secs int) string {
	switch {
	case secs <= 1:
		return "a second"
	case secs < 60:
		return strconv.Itoa(secs) + " seconds"
	case secs < 120:
		return "a minute"
	}
	return strconv.Itoa((secs+59)/60) + " minutes"
}
