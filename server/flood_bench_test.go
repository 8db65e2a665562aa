package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

// BenchmarkSCIMUnderSignInFlood times SCIM requests (GET /Users?filter=userName
// eq "...", then a PATCH of the same user, from 4 concurrent clients) against
// the real server on PostgreSQL, for a fixed window (IDBRIDGE_FLOOD_WINDOW,
// default 10s), in three runs:
//
//   - baseline: no sign-in traffic;
//   - flood=accounts: 100 goroutines, each from its own client IP (127.0.0.2 to
//     127.0.0.101, bound with net.Dialer.LocalAddr, since the limiter keys on
//     the TCP peer), POSTing wrong passwords to /login/password for 8 real
//     accounts of the org, back to back;
//   - flood=spray: the same 100 IPs, but every attempt names a different,
//     non-existent email, so neither the per-account limit nor the lockout
//     applies and every attempt the per-IP limit lets through costs a full
//     argon2id hash (the dummy one): the worst case for the hashing bound.
//
// The SCIM clients are paced (IDBRIDGE_FLOOD_SCIM_RATE, default 25 GET+PATCH
// pairs a second each, so 200 requests/s in all); with 0 they send back to
// back. It reports SCIM p50/p99 (ms), SCIM req/s, sign-in attempts/s and how many
// of them were hashed (401), refused by the lockout (409), by the rate limit
// (429) or by the hashing queue bound (503, store.ErrBusy). Run with
// -benchtime=1x: each run is one window whatever b.N is.
func BenchmarkSCIMUnderSignInFlood(b *testing.B) {
	for _, mode := range []string{"baseline", "accounts", "spray"} {
		name := mode
		if mode != "baseline" {
			name = "flood=" + mode
		}
		b.Run(name, func(b *testing.B) { benchFlood(b, mode) })
	}
}

const (
	floodClients    = 100
	floodAccounts   = 8
	scimClients     = 4
	scimUsers       = 200
	floodPassword   = "correct horse battery staple"
	floodBadPasswd  = "wrong password, again"
	floodDomain     = "flood.example"
	floodBaseIPByte = 2
)

func floodWindow() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("IDBRIDGE_FLOOD_WINDOW")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

// scimRate is each SCIM client's pairs (GET + PATCH) per second,
// IDBRIDGE_FLOOD_SCIM_RATE (default 25: 200 requests/s from the 4 clients,
// eight times Entra ID's 25 requests/s per tenant); 0 sends back to back,
// which saturates the CPU by itself.
func scimRate() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("IDBRIDGE_FLOOD_SCIM_RATE"), 64); err == nil && v >= 0 {
		return v
	}
	return 25
}

func benchFlood(b *testing.B, mode string) {
	ctx := b.Context()
	dbURL := pgtest.NewDatabase(b)
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	st := store.New(db, store.Options{BaseURL: "http://idbridge.test"})

	support := store.SupportActor("bench")
	co, err := st.CreateCompany(ctx, support, "Flood")
	if err != nil {
		b.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, support, store.NewOrg{CompanyID: co.ID, Name: "Flood", Domains: []string{floodDomain}})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := st.CreateSCIMToken(ctx, support, org.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, scimUsers)
	for i := range scimUsers {
		m, err := st.CreateMember(ctx, support, org.ID, store.NewMember{
			Email: fmt.Sprintf("scim%d@%s", i, floodDomain), GivenName: "Scim", FamilyName: "User" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = m.Account.ID
	}
	for i := range floodAccounts {
		if _, err := st.CreateMember(ctx, support, org.ID, store.NewMember{
			Email: fmt.Sprintf("victim%d@%s", i, floodDomain), GivenName: "Victim", FamilyName: strconv.Itoa(i), Password: floodPassword}); err != nil {
			b.Fatal(err)
		}
	}

	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.BaseURL = "http://idbridge.test"
	srv := httptest.NewServer(New(cfg, st, NewLogger(io.Discard, 0), nil).Handler())
	b.Cleanup(srv.Close)

	window := floodWindow()
	stop := make(chan struct{})
	var wg sync.WaitGroup

	// The flood.
	var attempts, checked, locked, limited, busy, otherStatus atomic.Int64
	if mode != "baseline" {
		for c := range floodClients {
			client := clientFrom(net.IPv4(127, 0, 0, byte(floodBaseIPByte+c)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					email := fmt.Sprintf("victim%d@%s", (c+n)%floodAccounts, floodDomain)
					if mode == "spray" {
						email = fmt.Sprintf("nobody%d-%d@%s", c, n, floodDomain)
					}
					form := url.Values{"email": {email}, "password": {floodBadPasswd}, "org": {org.ID}}
					resp, err := client.PostForm(srv.URL+"/login/password", form)
					if err != nil {
						select {
						case <-stop:
							return
						default:
						}
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					attempts.Add(1)
					switch resp.StatusCode {
					case http.StatusTooManyRequests: // the per-IP or per-account limit
						limited.Add(1)
					case http.StatusServiceUnavailable: // store.ErrBusy: the hashing queue is full
						busy.Add(1)
					case http.StatusUnauthorized: // a wrong password: one argon2id hash
						checked.Add(1)
					case http.StatusConflict: // the account is locked: refused before hashing
						locked.Add(1)
					default:
						otherStatus.Add(1)
					}
				}
			}()
		}
	}

	// The SCIM clients: each sends a GET then a PATCH every 1/rate seconds
	// (or back to back with rate 0). A paced request's latency counts from
	// when it was due, so a stalled client does not hide its backlog.
	rate := scimRate()
	var mu sync.Mutex
	var lat []time.Duration
	var scimErrs atomic.Int64
	for c := range scimClients {
		client := clientFrom(net.IPv4(127, 0, 0, 1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			var every time.Duration
			if rate > 0 {
				every = time.Duration(float64(time.Second) / rate)
			}
			due := time.Now().Add(time.Duration(c) * every / scimClients)
			record := func(start time.Time, code int, err error) {
				if err != nil || code != http.StatusOK {
					scimErrs.Add(1)
				} else {
					mine = append(mine, time.Since(start))
				}
			}
			for n := 0; ; n++ {
				if every > 0 {
					if d := time.Until(due); d > 0 {
						select {
						case <-stop:
							return
						case <-time.After(d):
						}
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				if every > 0 {
					start = due
				}
				i := (c*7919 + n) % scimUsers
				filter := url.QueryEscape(fmt.Sprintf(`userName eq "scim%d@%s"`, i, floodDomain))
				code, err := scimDo(client, http.MethodGet, srv.URL+"/scim/v2/Users?filter="+filter, token, "")
				record(start, code, err)
				start = time.Now()
				if every > 0 {
					start = due.Add(every / 2)
					if d := time.Until(start); d > 0 {
						time.Sleep(d)
					}
				}
				patch := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.givenName","value":"Scim%d"}]}`, n)
				code, err = scimDo(client, http.MethodPatch, srv.URL+"/scim/v2/Users/"+ids[i], token, patch)
				record(start, code, err)
				due = due.Add(every)
			}
		}()
	}

	b.ResetTimer()
	time.Sleep(window)
	close(stop)
	wg.Wait()
	b.StopTimer()

	if len(lat) == 0 {
		b.Fatal("no SCIM request succeeded")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "scim-p50-ms")
	b.ReportMetric(pct(0.99), "scim-p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "scim-max-ms")
	b.ReportMetric(float64(len(lat))/window.Seconds(), "scim-req/s")
	b.ReportMetric(float64(scimErrs.Load()), "scim-errors")
	if mode != "baseline" {
		b.ReportMetric(float64(attempts.Load())/window.Seconds(), "signin-attempts/s")
		b.ReportMetric(float64(checked.Load())/window.Seconds(), "signin-checked/s")
		b.ReportMetric(float64(locked.Load())/window.Seconds(), "signin-locked/s")
		b.ReportMetric(float64(limited.Load())/window.Seconds(), "signin-429/s")
		b.ReportMetric(float64(busy.Load())/window.Seconds(), "signin-503/s")
		if n := otherStatus.Load(); n > 0 {
			b.ReportMetric(float64(n), "signin-other-status")
		}
	}
}

// clientFrom is an HTTP client whose connections come from ip (any 127.0.0.x
// is local on Linux), so the server sees that TCP peer.
func clientFrom(ip net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			MaxIdleConnsPerHost: 4,
		},
	}
}

func scimDo(c *http.Client, method, u, token, body string) (int, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, u, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
