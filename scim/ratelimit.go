package scim

import (
	"strconv"
	"sync"
	"time"
)

// limiter is a token bucket per SCIM token, in this process. Entra ID needs
// 25 requests/second per tenant; the defaults leave room for an initial sync.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket; when empty it returns the
// seconds until the next request is allowed.
func (l *limiter) allow(key string) (float64, bool) { return l.take(key, 1) }

// take takes n requests (at most the burst) from key's bucket, or none and
// the seconds until there are n.
func (l *limiter) take(key string, n int) (float64, bool) {
	if n <= 0 {
		return 0, true
	}
	want := min(float64(n), l.burst)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100000 { // bound memory: forget idle buckets
			for k, v := range l.buckets {
				if now.Sub(v.last).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < want {
		return (want - b.tokens) / l.rate, false
	}
	b.tokens -= want
	return 0, true
}

func itoa(n int) string { return strconv.Itoa(n) }
