package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres"
)

// cmdBenchUsers measures the admin Users API on PostgreSQL at an org of
// --members members (seeded with scripts/seed-scim-users.sql): the first
// page with its total, the same with a name/email search, and the .xlsx
// export of --export of them, with the server's memory growth meanwhile.
func cmdBenchUsers(e env, args []string) error {
	o, err := parseBenchUsersFlags(e, args)
	if err != nil {
		return err
	}
	rep, err := runBenchUsers(e, o, "idbridge bench users "+strings.Join(args, " "))
	if err != nil {
		return err
	}
	return output(e, o.json, rep, rep.print)
}

type benchUsersOptions struct {
	db, bin, psql, seed      string
	members, export, repeats int
	bulk                     int
	full, json               bool
}

func parseBenchUsersFlags(e env, args []string) (benchUsersOptions, error) {
	fs := flags("bench users", e)
	var o benchUsersOptions
	benchServerFlags(e, fs, &o.db, &o.bin)
	fs.StringVar(&o.psql, "psql", "psql", "the psql binary the seed script runs with")
	fs.StringVar(&o.seed, "seed-script", "scripts/seed-scim-users.sql", "the seed script")
	fs.IntVar(&o.members, "members", 200000, "members of the org")
	fs.IntVar(&o.export, "export", 20000, "members exported (part of --members)")
	fs.IntVar(&o.repeats, "repeats", 50, "requests timed for each list figure")
	fs.IntVar(&o.bulk, "bulk", 2000, "members changed by a bulk job, timed to its end (part of --members; 0 = none)")
	fs.BoolVar(&o.full, "full", false, "the issue's sizes: 1,000,000 members, an export of 100,000, a bulk job of 100,000")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.full && !set["members"] {
		o.members = 1000000
	}
	if o.full && !set["export"] {
		o.export = 100000
	}
	if o.full && !set["bulk"] {
		o.bulk = 100000
	}
	switch {
	case o.members < 1 || o.export < 1 || o.repeats < 1 || o.bulk < 0:
		return o, usageError{"--members, --export and --repeats must be at least 1, --bulk at least 0"}
	case o.export+o.bulk >= o.members:
		return o, usageError{"--export and --bulk together must be fewer than --members"}
	}
	return o, nil
}

type benchUsersReport struct {
	Date       string          `json:"date"`
	Command    string          `json:"command"`
	PostgreSQL string          `json:"postgresql"`
	CPUs       int             `json:"cpus"`
	LoadBefore string          `json:"loadBefore"`
	Members    int             `json:"members"`
	Rows       []benchUsersRow `json:"rows"`
	Seconds    float64         `json:"seconds"`
}

type benchUsersRow struct {
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	MedianMs float64 `json:"medianMs"`
	P95Ms    float64 `json:"p95Ms"`
	// Export only: the rows written, the bytes, and the server's RSS growth.
	Bytes        int64   `json:"bytes,omitempty"`
	RSSGrowthMiB float64 `json:"rssGrowthMiB,omitempty"`
	Note         string  `json:"note,omitempty"`
}

func (rep benchUsersReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s\n%s\n%s, %d CPUs, load before %s; org of %d members\n\n", rep.Date, rep.Command, rep.PostgreSQL, rep.CPUs, rep.LoadBefore, rep.Members)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "measure\trequests\tmedian ms\tp95 ms\tbytes\tRSS growth MiB\tnote\t")
	for _, r := range rep.Rows {
		b, rss := "", ""
		if r.Bytes > 0 {
			b, rss = strconv.FormatInt(r.Bytes, 10), fmt.Sprintf("%.1f", r.RSSGrowthMiB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\t%s\t%s\t\n", r.Name, r.Requests, r.MedianMs, r.P95Ms, b, rss, r.Note)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%.0f s in all\n", rep.Seconds)
}

func runBenchUsers(e env, o benchUsersOptions, cmdline string) (benchUsersReport, error) {
	ctx := e.ctx
	t0 := time.Now()
	rep := benchUsersReport{Date: t0.UTC().Format("2006-01-02 15:04 MST"), Command: cmdline, CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage(), Members: o.members}
	if o.bin == "" {
		o.bin, _ = os.Executable()
	}
	admin, _, dbURL, drop, err := benchDatabase(ctx, o.db)
	if err != nil {
		return rep, err
	}
	defer drop()
	_ = admin.QueryRow(ctx, "SHOW server_version").Scan(&rep.PostgreSQL)
	rep.PostgreSQL = "PostgreSQL " + rep.PostgreSQL
	dir, err := os.MkdirTemp("", "idbridge-bench-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	progress := func(f string, a ...any) { fmt.Fprintf(e.stderr, "bench: "+f+"\n", a...) }
	srv, base, _, stop, err := startServe(e, o.bin, dir, []string{"IDBRIDGE_DATABASE_URL=" + dbURL}, progress)
	if err != nil {
		return rep, err
	}
	defer stop()

	// The org, its admin (with a password, to sign in), and the members.
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return rep, err
	}
	st := store.New(db, store.Options{BaseURL: base})
	sup := store.SupportActor("bench")
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	password := "bench-" + hex.EncodeToString(secret)
	co, err := st.CreateCompany(ctx, sup, "Bench")
	var org store.Org
	if err == nil {
		org, err = st.CreateOrg(ctx, sup, store.NewOrg{CompanyID: co.ID, Name: "Bench", Domains: []string{"loadtest.example"}})
	}
	if err == nil {
		_, err = st.CreateMember(ctx, sup, org.ID, store.NewMember{Email: "bench-admin@loadtest.example", GivenName: "Bench",
			FamilyName: "Admin", UserType: store.UserTypeSystemAdmin, Password: password})
	}
	_ = db.Close()
	if err != nil {
		return rep, err
	}
	// --export of them are lt-exp-<i>, the others lt-big-<i>: the export's
	// search selects exactly its share of the org.
	for _, part := range []struct {
		run string
		n   int
	}{{"big", o.members - o.export - o.bulk - 1}, {"exp", o.export}, {"blk", o.bulk}} {
		if part.n <= 0 {
			continue
		}
		progress("seeding %d members (%s) with %s", part.n, part.run, o.seed)
		seed := exec.CommandContext(ctx, o.psql, dbURL, "-q", "-v", "org="+org.ID, "-v", "run="+part.run, "-v", "n="+strconv.Itoa(part.n), "-f", o.seed)
		if out, err := seed.CombinedOutput(); err != nil {
			return rep, fmt.Errorf("seed: %v: %s", err, bytes.TrimSpace(out))
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/login/password", url.Values{"email": {"bench-admin@loadtest.example"}, "password": {password}, "org": {org.ID}})
	if err != nil {
		return rep, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return rep, fmt.Errorf("admin sign-in: %s", res.Status)
	}
	api := base + "/api/orgs/" + org.ID

	timeList := func(name, query string, wantTotal int) error {
		progress("%s", name)
		var ms []float64
		for i := -2; i < o.repeats; i++ { // two warm-up requests
			t := time.Now()
			res, err := c.Get(api + "/users?" + query)
			if err != nil {
				return err
			}
			var page struct {
				Total int `json:"total"`
			}
			err = json.NewDecoder(res.Body).Decode(&page)
			res.Body.Close()
			d := time.Since(t)
			if err != nil || res.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s %v", name, res.Status, err)
			}
			if wantTotal >= 0 && page.Total != wantTotal {
				return fmt.Errorf("%s: total %d, want %d", name, page.Total, wantTotal)
			}
			if i >= 0 {
				ms = append(ms, float64(d.Microseconds())/1000)
			}
		}
		slices.Sort(ms)
		rep.Rows = append(rep.Rows, benchUsersRow{Name: name, Requests: len(ms), MedianMs: ms[len(ms)/2], P95Ms: ms[min(len(ms)-1, len(ms)*95/100)]})
		return nil
	}
	if err := timeList("Users list, first page of 50 with its total", "limit=50", o.members); err != nil {
		return rep, err
	}
	if err := timeList(`Users list, search "given4242" (name), first page with total`, "limit=50&q=given4242", -1); err != nil {
		return rep, err
	}
	if err := timeList(`Users list, search "lt-exp-77@" (email), first page with total`, "limit=50&q=lt-exp-77%40", -1); err != nil {
		return rep, err
	}

	// The export, with the server's RSS sampled meanwhile.
	progress("export of %d users", o.export)
	before := procStatusMiB(srv.Process.Pid, "VmRSS")
	peak := before
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak = max(peak, procStatusMiB(srv.Process.Pid, "VmRSS"))
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	t := time.Now()
	res, err = c.Get(api + "/users/export.xlsx?q=lt-exp-")
	var n int64
	if err == nil {
		n, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("export: %s", res.Status)
		}
	}
	d := time.Since(t)
	close(done)
	wg.Wait()
	ms := float64(d.Microseconds()) / 1000
	row := benchUsersRow{Name: fmt.Sprintf("Export .xlsx of %d users", o.export), Requests: 1, MedianMs: ms, P95Ms: ms,
		Bytes: n, RSSGrowthMiB: peak - before}
	if err != nil { // a figure of its own: the time until it failed
		row.Note = "failed: " + err.Error()
	}
	rep.Rows = append(rep.Rows, row)
	if o.bulk > 0 {
		row, err := benchBulkJob(c, api, o.bulk, progress)
		if err != nil {
			row = benchUsersRow{Name: fmt.Sprintf("Bulk job changing %d users", o.bulk), Note: "failed: " + err.Error()}
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Seconds = time.Since(t0).Seconds()
	return rep, nil
}

// benchBulkJob changes the n lt-blk- members with one bulk change (a job
// over the server's threshold) and times it from the request to the job's
// end, polling its progress every 100 ms.
func benchBulkJob(c *http.Client, api string, n int, progress func(string, ...any)) (benchUsersRow, error) {
	progress("bulk job on %d users", n)
	body := `{"all": true, "q": "lt-blk-", "changes": {"subscription": "professional"}}`
	t := time.Now()
	req, _ := http.NewRequest(http.MethodPost, api+"/users/bulk", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	var job struct {
		URL     string `json:"url"`
		Status  string `json:"status"`
		Done    int    `json:"done"`
		Changed int    `json:"changed"`
	}
	get := func(res *http.Response, err error, want int) error {
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != want {
			b, _ := io.ReadAll(res.Body)
			return fmt.Errorf("bulk job: %s %s", res.Status, bytes.TrimSpace(b))
		}
		return json.NewDecoder(res.Body).Decode(&job)
	}
	res, err := c.Do(req)
	if err := get(res, err, http.StatusAccepted); err != nil {
		return benchUsersRow{}, err
	}
	base, _, _ := strings.Cut(api, "/api/")
	for job.Status != "done" && job.Status != "failed" {
		time.Sleep(100 * time.Millisecond)
		res, err := c.Get(base + job.URL)
		if err := get(res, err, http.StatusOK); err != nil {
			return benchUsersRow{}, err
		}
	}
	d := time.Since(t)
	if job.Status != "done" || job.Changed != n {
		return benchUsersRow{}, fmt.Errorf("bulk job %s: %d of %d changed", job.Status, job.Changed, n)
	}
	ms := float64(d.Microseconds()) / 1000
	return benchUsersRow{Name: fmt.Sprintf("Bulk job changing %d users (request to done)", n), Requests: 1, MedianMs: ms, P95Ms: ms,
		Note: fmt.Sprintf("%.0f users/s", float64(n)/d.Seconds())}, nil
}
