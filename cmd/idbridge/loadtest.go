package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// cmdLoadtestSCIM replays an Entra-style initial sync against a running
// idbridge (for each user: filter by userName, then POST; then groups, then
// member PATCHes in batches), then measures userName lookups and adding one
// member to a large group, and reports throughput and latency percentiles.
func cmdLoadtestSCIM(e env, args []string) error {
	fs := flags("loadtest scim", e)
	base := fs.String("url", "", "SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
	tok := fs.String("token", "", "the org's SCIM token")
	var o loadtestOptions
	fs.IntVar(&o.users, "users", 1000, "users to provision")
	fs.IntVar(&o.groups, "groups", 10, "groups to provision")
	fs.IntVar(&o.workers, "workers", 16, "concurrent requests")
	fs.IntVar(&o.batch, "batch", 100, "members added per group PATCH")
	fs.IntVar(&o.lookups, "lookups", 20000, "userName lookups to time after the sync")
	fs.IntVar(&o.bigAdds, "big-adds", 2000, "single-member adds to time on a group holding every user (0: skip)")
	fs.StringVar(&o.run, "run", "", "reuse the first --users users of an earlier run (its tag): no sync, only lookups and big-group adds")
	fs.BoolVar(&o.lookupOnly, "lookup-only", false, "only time lookups (with --run)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "url", "token"); err != nil {
		return err
	}
	if o.run == "" && o.lookupOnly {
		return usageError{"--lookup-only goes with --run"}
	}
	lt := newLoadtest(*base, *tok, o.workers)
	rep, err := lt.runSCIM(o)
	if err != nil {
		return err
	}
	return output(e, *asJSON, rep, rep.print)
}

// loadtestOptions are the sizes of one `loadtest scim` run.
type loadtestOptions struct {
	users, groups, workers, batch, lookups, bigAdds int
	run                                             string // reuse this run's users
	lookupOnly                                      bool
}

// loadtestReport is what `loadtest scim` prints.
type loadtestReport struct {
	Run         string        `json:"run"`
	Reused      bool          `json:"-"`
	Users       int           `json:"users"`
	Groups      int           `json:"groups"`
	Workers     int           `json:"workers"`
	SyncSeconds float64       `json:"syncSeconds"`
	Phases      []phaseResult `json:"phases"`
}

func (rep loadtestReport) print(w io.Writer) {
	if rep.Reused {
		fmt.Fprintf(w, "run %s (reused): %d users, %d workers\n", rep.Run, rep.Users, rep.Workers)
	} else {
		fmt.Fprintf(w, "run %s: %d users, %d groups, %d workers; initial sync %.1fs\n", rep.Run, rep.Users, rep.Groups, rep.Workers, rep.SyncSeconds)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\trequests\terrors\tseconds\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, p := range rep.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", p.Name, p.Requests, p.Errors, p.Seconds, p.PerSecond, p.P50, p.P90, p.P99, p.Max)
	}
	tw.Flush()
	for _, p := range rep.Phases {
		if p.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", p.Name, p.FirstError)
		}
	}
}

func newLoadtest(base, token string, workers int) *loadtest {
	return &loadtest{base: strings.TrimRight(base, "/"), token: token, workers: workers,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2, MaxConnsPerHost: workers * 2}}}
}

// runSCIM replays the sync (unless o.run reuses an earlier one), then times
// lookups and big-group adds.
func (lt *loadtest) runSCIM(o loadtestOptions) (loadtestReport, error) {
	users, groups, batch, lookups, bigAdds := &o.users, &o.groups, &o.batch, &o.lookups, &o.bigAdds
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	reuse := o.run != ""
	lt.run = o.run
	if !reuse {
		lt.run = hex.EncodeToString(tag)
	}
	var phases []phaseResult
	start := time.Now()
	if reuse {
		*users, *groups = max(*users, 1), 0
	}
	if o.lookupOnly {
		*bigAdds = 0
	}

	ids := make([]string, *users)
	syncUsers := *users
	if reuse {
		syncUsers = 0
	}
	phases = append(phases, lt.phase("users: filter+POST", syncUsers, func(i int) error {
		name := lt.userName(i)
		if _, err := lt.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+name+`"`), nil, 200); err != nil {
			return err
		}
		doc, err := lt.call("POST", "/Users", entraUserJSON(name, lt.run, i), 201)
		if err == nil {
			ids[i], _ = doc["id"].(string)
		}
		return err
	}))
	if reuse && *bigAdds > 0 {
		phases = append(phases, lt.phase("ids of the run's users", *users, func(i int) error {
			doc, err := lt.call("GET", "/Users?attributes=id&filter="+url.QueryEscape(`userName eq "`+lt.userName(i)+`"`), nil, 200)
			if err != nil {
				return err
			}
			if res, _ := doc["Resources"].([]any); len(res) == 1 {
				u, _ := res[0].(map[string]any)
				ids[i], _ = u["id"].(string)
				return nil
			}
			return fmt.Errorf("user %s of run %s not found", lt.userName(i), lt.run)
		}))
	}
	gids := make([]string, *groups)
	phases = append(phases, lt.phase("groups: filter+POST", *groups, func(i int) error {
		name := fmt.Sprintf("lt-%s-group-%d", lt.run, i)
		if _, err := lt.call("GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "`+name+`"`), nil, 200); err != nil {
			return err
		}
		doc, err := lt.call("POST", "/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"externalId":"%s-g%d"}`, name, lt.run, i), 201)
		if err == nil {
			gids[i], _ = doc["id"].(string)
		}
		return err
	}))
	// Each user joins group i % groups; PATCHes carry up to batch members.
	type patchJob struct {
		group   string
		members []string
	}
	var jobs []patchJob
	if *groups > 0 {
		per := make([][]string, *groups)
		for i, id := range ids {
			if id != "" {
				per[i%*groups] = append(per[i%*groups], id)
			}
		}
		for g, ms := range per {
			for len(ms) > 0 {
				n := min(len(ms), max(*batch, 1))
				jobs = append(jobs, patchJob{gids[g], ms[:n]})
				ms = ms[n:]
			}
		}
	}
	phases = append(phases, lt.phase("group member PATCHes", len(jobs), func(i int) error {
		if jobs[i].group == "" {
			return fmt.Errorf("group not created")
		}
		_, err := lt.call("PATCH", "/Groups/"+jobs[i].group, addMembersJSON(jobs[i].members), 204)
		return err
	}))
	syncTime := time.Since(start)

	phases = append(phases, lt.phase("lookups: filter=userName eq", *lookups, func(i int) error {
		doc, err := lt.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+lt.userName(mrand.IntN(max(*users, 1)))+`"`), nil, 200)
		if err == nil && doc["totalResults"] != 1.0 {
			return fmt.Errorf("lookup found %v users", doc["totalResults"])
		}
		return err
	}))
	if *bigAdds > 0 && *users > 1 {
		doc, err := lt.call("POST", "/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"lt-%s-big-%x"}`, lt.run, tag), 201)
		if err != nil {
			return loadtestReport{}, err
		}
		big, _ := doc["id"].(string)
		// Everyone but the last bigAdds users first, 1000 per PATCH.
		keep := max(len(ids)-*bigAdds, 1)
		var fill []string
		for i := 0; i < keep; i += 1000 {
			fill = append(fill, addMembersJSON(ids[i:min(i+1000, keep)]))
		}
		phases = append(phases, lt.phase("big group fill (1000/PATCH)", len(fill), func(i int) error {
			_, err := lt.call("PATCH", "/Groups/"+big, fill[i], 204)
			return err
		}))
		rest := ids[keep:]
		phases = append(phases, lt.phase(fmt.Sprintf("add 1 member to a group of %d+", keep), len(rest), func(i int) error {
			_, err := lt.call("PATCH", "/Groups/"+big, addMembersJSON(rest[i:i+1]), 204)
			return err
		}))
	}
	return loadtestReport{Run: lt.run, Reused: reuse, Users: *users, Groups: *groups, Workers: lt.workers,
		SyncSeconds: syncTime.Seconds(), Phases: phases}, nil
}

type loadtest struct {
	base, token, run string
	workers          int
	client           *http.Client
	// around, when set, wraps each phase (the bench samples CPU around it).
	around func(name string, run func() phaseResult) phaseResult

	mu   sync.Mutex
	lats []time.Duration
}

func (lt *loadtest) userName(i int) string {
	return fmt.Sprintf("lt-%s-%d@loadtest.example", lt.run, i)
}

type phaseResult struct {
	Name       string  `json:"name"`
	Requests   int     `json:"requests"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"requestsPerSecond"`
	P50        float64 `json:"p50Ms"`
	P90        float64 `json:"p90Ms"`
	P99        float64 `json:"p99Ms"`
	Max        float64 `json:"maxMs"`
	FirstError string  `json:"firstError,omitempty"`
}

// phase runs n jobs on the workers and times every HTTP request they make.
func (lt *loadtest) phase(name string, n int, job func(i int) error) phaseResult {
	if lt.around != nil {
		return lt.around(name, func() phaseResult { return lt.timePhase(name, n, job) })
	}
	return lt.timePhase(name, n, job)
}

func (lt *loadtest) timePhase(name string, n int, job func(i int) error) phaseResult {
	lt.lats = lt.lats[:0]
	var next, errs atomic.Int64
	var first atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range lt.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := job(i); err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	sort.Slice(lt.lats, func(i, j int) bool { return lt.lats[i] < lt.lats[j] })
	pct := func(p float64) float64 {
		if len(lt.lats) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(lt.lats)))) - 1
		return float64(lt.lats[max(i, 0)].Microseconds()) / 1000
	}
	r := phaseResult{Name: name, Requests: len(lt.lats), Errors: errs.Load(), Seconds: d.Seconds(),
		PerSecond: float64(len(lt.lats)) / d.Seconds(), P50: pct(.5), P90: pct(.9), P99: pct(.99), Max: pct(1)}
	if s, ok := first.Load().(string); ok {
		r.FirstError = s
	}
	return r
}

// call sends one request and checks the status; it returns the JSON body.
func (lt *loadtest) call(method, path string, body any, want int) (map[string]any, error) {
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	}
	req, err := http.NewRequest(method, lt.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+lt.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	t0 := time.Now()
	res, err := lt.client.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	lt.mu.Lock()
	lt.lats = append(lt.lats, d)
	lt.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d: %s", method, strings.SplitN(path, "?", 2)[0], res.StatusCode, bytes.TrimSpace(b[:min(len(b), 300)]))
	}
	var doc map[string]any
	if len(b) > 0 {
		_ = json.Unmarshal(b, &doc)
	}
	return doc, nil
}

func entraUserJSON(name, run string, i int) string {
	b, _ := json.Marshal(map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"externalId": fmt.Sprintf("%s-%d", run, i), "userName": name, "active": true,
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": name}},
		"meta":   map[string]any{"resourceType": "User"},
		"name":   map[string]any{"givenName": fmt.Sprintf("Given%d", i), "familyName": "Load", "formatted": fmt.Sprintf("Given%d Load", i)},
		"roles":  []any{},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": fmt.Sprint(i), "department": "Dept" + fmt.Sprint(i%50)},
	})
	return string(b)
}

func addMembersJSON(ids []string) string {
	ms := make([]any, len(ids))
	for i, id := range ids {
		ms[i] = map[string]any{"value": id}
	}
	b, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "Add", "path": "members", "value": ms}}})
	return string(b)
}
