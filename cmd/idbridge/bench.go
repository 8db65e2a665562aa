package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
)

// cmdBenchSCIM measures raw PostgreSQL (pgbench: a single-row INSERT of a
// user-shaped row, an indexed SELECT by (org, lower(name))) and then the SCIM
// load of `loadtest scim` against `idbridge serve` on the same PostgreSQL, in
// one run, and reports each SCIM figure beside its ratio to the raw one, with
// the CPU per operation of the server and of PostgreSQL (from /proc).
func cmdBenchSCIM(e env, args []string) error {
	o, err := parseBenchFlags(e, args)
	if err != nil {
		return err
	}
	rep, err := runBench(e, o, "idbridge bench scim "+strings.Join(args, " "))
	if err != nil {
		return err
	}
	return output(e, o.json, rep, rep.print)
}

type benchOptions struct {
	db, bin, pgbench, psql, seed    string
	clients, seconds, seedMembers   int
	users, groups, lookups, bigAdds int
	full, json, sqlite              bool
}

func parseBenchFlags(e env, args []string) (benchOptions, error) {
	fs := flags("bench scim", e)
	var o benchOptions
	benchServerFlags(e, fs, &o.db, &o.bin)
	fs.StringVar(&o.pgbench, "pgbench", "pgbench", "the pgbench binary")
	fs.StringVar(&o.psql, "psql", "psql", "the psql binary (--full seeds a million users with it)")
	fs.StringVar(&o.seed, "seed-script", "scripts/seed-scim-users.sql", "the seed script for --full")
	fs.IntVar(&o.clients, "clients", 16, "pgbench clients and SCIM workers")
	fs.IntVar(&o.seconds, "seconds", 15, "seconds of each pgbench run")
	fs.IntVar(&o.users, "users", 20000, "users in the SCIM sync (and rows in the pgbench table)")
	fs.IntVar(&o.groups, "groups", 0, "groups in the SCIM sync (default: users/100)")
	fs.IntVar(&o.lookups, "lookups", 20000, "userName lookups timed")
	fs.IntVar(&o.bigAdds, "big-adds", 2000, "single-member adds timed on a group of all the other users")
	fs.IntVar(&o.seedMembers, "seed-members", 1000000, "members --full seeds with --seed-script (lookups among them, adds to a group of a tenth of them, at most 100,000)")
	fs.BoolVar(&o.full, "full", false, "the issue's sizes: 100,000 users and 1,000 groups, then 1,000,000 seeded members (lookups, adds to a group of 100,000)")
	fs.BoolVar(&o.sqlite, "sqlite", false, "serve from the embedded SQLite database instead (pgbench still measures the PostgreSQL of --db)")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.full {
		for name, v := range map[string]*int{"users": &o.users, "groups": &o.groups, "lookups": &o.lookups, "big-adds": &o.bigAdds} {
			if !set[name] {
				*v = map[string]int{"users": 100000, "groups": 1000, "lookups": 50000, "big-adds": 10000}[name]
			}
		}
	}
	if o.groups == 0 {
		o.groups = max(o.users/100, 1)
	}
	if o.clients < 1 || o.seconds < 1 || o.users < 2 || o.lookups < 1 || o.bigAdds < 0 || o.bigAdds >= o.users || o.seedMembers < 20 {
		return o, usageError{"--clients, --seconds, --lookups must be at least 1, --users at least 2, --big-adds in [0, users), --seed-members at least 20"}
	}
	if o.full && o.sqlite {
		return o, usageError{"--full seeds with psql: not with --sqlite"}
	}
	return o, nil
}

// benchReport is what `bench scim` prints.
type benchReport struct {
	Date       string     `json:"date"`
	Command    string     `json:"command"`
	CPUs       int        `json:"cpus"`
	LoadBefore string     `json:"loadAverageBefore"`
	LoadAfter  string     `json:"loadAverageAfter"`
	PostgreSQL string     `json:"postgresql"`
	Backend    string     `json:"backend"`
	Clients    int        `json:"clients"`
	Rows       []benchRow `json:"rows"`
	PeakRSSMiB float64    `json:"serverPeakRssMiB"`
	Seconds    float64    `json:"seconds"`
}

// benchRow is one measured phase. Kind "insert" or "select" names the
// pgbench figure it is compared with; Ratio is PerSecond over that figure.
type benchRow struct {
	Name       string  `json:"name"`
	Kind       string  `json:"kind,omitempty"`
	Ops        int     `json:"ops"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"opsPerSecond"`
	Ratio      float64 `json:"ratio,omitempty"`
	Target     string  `json:"target,omitempty"`
	AvgMs      float64 `json:"avgMs,omitempty"`
	P50        float64 `json:"p50Ms,omitempty"`
	P99        float64 `json:"p99Ms,omitempty"`
	ServerCPU  float64 `json:"serverCpuMsPerOp,omitempty"`
	DBCPU      float64 `json:"dbCpuMsPerOp"`
	AllPGCPU   float64 `json:"allPostgresCpuMsPerOp"`
	ClientCPU  float64 `json:"loadClientCpuMsPerOp,omitempty"`
	RSSMiB     float64 `json:"serverRssMiB,omitempty"`
	FirstError string  `json:"firstError,omitempty"`
}

func (rep benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s\n%s\n%d CPUs, load average %s before, %s after; %s; idbridge on %s; %d clients; %.0f s\n",
		rep.Date, rep.Command, rep.CPUs, rep.LoadBefore, rep.LoadAfter, rep.PostgreSQL, rep.Backend, rep.Clients, rep.Seconds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "what\tops\terrors\tops/s\tratio\ttarget\tavg ms\tp50 ms\tp99 ms\tserver CPU ms/op\tdb CPU ms/op\tall pg CPU ms/op\tclient CPU ms/op\tserver RSS MiB\t")
	num := func(v float64, f string) string {
		if v == 0 {
			return "-"
		}
		return fmt.Sprintf(f, v)
	}
	for _, r := range rep.Rows {
		target := r.Target
		if target == "" {
			target = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%s\t%s\t\n", r.Name, r.Ops, r.Errors, r.PerSecond,
			num(r.Ratio, "%.2f"), target, num(r.AvgMs, "%.2f"), num(r.P50, "%.2f"), num(r.P99, "%.2f"),
			num(r.ServerCPU, "%.3f"), r.DBCPU, r.AllPGCPU, num(r.ClientCPU, "%.3f"), num(r.RSSMiB, "%.0f"))
	}
	tw.Flush()
	fmt.Fprintf(w, "server peak RSS %.0f MiB. db CPU: this run's database's backends, WAL writer, checkpointer and background writer; all pg: every postgres process (other databases' work included); client: pgbench, or the load client (this process)\n", rep.PeakRSSMiB)
	for _, r := range rep.Rows {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", r.Name, r.FirstError)
		}
	}
}

// rowFromPhase turns a load test phase into a report row; requests per
// operation is 2 for the sync's filter+POST.
func rowFromPhase(p phaseResult, name string) benchRow {
	r := benchRow{Name: name, Ops: p.Requests, Errors: p.Errors, Seconds: p.Seconds, PerSecond: p.PerSecond,
		P50: p.P50, P99: p.P99, FirstError: p.FirstError}
	switch {
	case strings.HasPrefix(p.Name, "users: filter+POST"):
		r.Kind, r.Target = "insert", ">= 0.25"
		r.Ops = p.Requests / 2
		r.PerSecond = float64(r.Ops) / p.Seconds
		r.Name += " (users/s; p50, p99 per request)"
	case strings.HasPrefix(p.Name, "lookups"):
		r.Kind, r.Target = "select", ">= 0.35, p99 < 10"
	case strings.HasPrefix(p.Name, "add 1 member"):
		r.Kind, r.Target = "insert", "p99 < 10"
	}
	return r
}

// setRatios fills in each row's ratio to the pgbench row of its kind.
func setRatios(rows []benchRow) {
	base := map[string]float64{}
	for _, r := range rows {
		if strings.HasPrefix(r.Name, "pgbench") && r.Kind != "" {
			base[r.Kind] = r.PerSecond
		}
	}
	for i, r := range rows {
		if b := base[r.Kind]; b > 0 && !strings.HasPrefix(r.Name, "pgbench") {
			rows[i].Ratio = r.PerSecond / b
		}
	}
}

var (
	pgbenchTPS = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	pgbenchTx  = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	pgbenchLat = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
	pgbenchErr = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// parsePgbench reads pgbench's summary.
func parsePgbench(out string) (tps float64, tx int, avgMs float64, failed int64, err error) {
	m := pgbenchTPS.FindStringSubmatch(out)
	n := pgbenchTx.FindStringSubmatch(out)
	if m == nil || n == nil {
		return 0, 0, 0, 0, fmt.Errorf("pgbench printed no tps: %s", strings.TrimSpace(out[max(len(out)-500, 0):]))
	}
	tps, _ = strconv.ParseFloat(m[1], 64)
	tx, _ = strconv.Atoi(n[1])
	if l := pgbenchLat.FindStringSubmatch(out); l != nil {
		avgMs, _ = strconv.ParseFloat(l[1], 64)
	}
	if f := pgbenchErr.FindStringSubmatch(out); f != nil {
		failed, _ = strconv.ParseInt(f[1], 10, 64)
	}
	return tps, tx, avgMs, failed, nil
}

// The pgbench table: the columns of a SCIM user (membership and account in
// one row), its unique (org, lower(name)) index and a JSON profile.
const benchTableSQL = `
CREATE TABLE bench_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  name text NOT NULL,
  external_id text,
  given_name text, family_name text,
  profile jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX bench_users_name ON bench_users (org_id, lower(name));
`

const benchOrg = "00000000-0000-0000-0000-00000000b0b0"

const benchInsertScript = `INSERT INTO bench_users (org_id, name, external_id, given_name, family_name, profile) SELECT '` + benchOrg + `', 'pg-' || u || '@bench.example', u, 'Given', 'Load', jsonb_build_object('userName', 'pg-' || u || '@bench.example', 'active', true, 'name', jsonb_build_object('givenName', 'Given', 'familyName', 'Load')) FROM gen_random_uuid() AS u;
`

const benchSelectScript = `\set i random(0, :n - 1)
SELECT id, name, profile FROM bench_users WHERE org_id = '` + benchOrg + `' AND lower(name) = lower('u-' || :i || '@bench.example');
`

func runBench(e env, o benchOptions, cmdline string) (benchReport, error) {
	ctx := e.ctx
	t0 := time.Now()
	rep := benchReport{Date: t0.UTC().Format("2006-01-02 15:04 MST"), Command: cmdline, CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage(), Clients: o.clients}
	if o.bin == "" {
		o.bin, _ = os.Executable()
	}
	admin, dbName, dbURL, drop, err := benchDatabase(ctx, o.db)
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

	cpu := &cpuMeter{admin: admin, db: dbName}
	progress := func(f string, a ...any) { fmt.Fprintf(e.stderr, "bench: "+f+"\n", a...) }

	// 1. pgbench.
	progress("pgbench table of %d rows", o.users)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return rep, err
	}
	_, err = conn.Exec(ctx, benchTableSQL)
	if err == nil {
		_, err = conn.Exec(ctx, `INSERT INTO bench_users (org_id, name, external_id, given_name, family_name, profile)
			SELECT $1, 'u-' || i || '@bench.example', i::text, 'Given' || i, 'Load', jsonb_build_object('userName', 'u-' || i || '@bench.example', 'active', true)
			FROM generate_series(0, $2::int - 1) AS i`, benchOrg, o.users)
	}
	if err == nil {
		_, err = conn.Exec(ctx, "ANALYZE bench_users")
	}
	conn.Close(ctx)
	if err != nil {
		return rep, fmt.Errorf("pgbench table: %w", err)
	}
	for _, b := range []struct{ name, kind, script string }{
		{"pgbench INSERT (user-shaped row)", "insert", benchInsertScript},
		{fmt.Sprintf("pgbench SELECT by (org, lower(name)) of %d", o.users), "select", benchSelectScript},
	} {
		progress("%s, %d s", b.name, o.seconds)
		file := filepath.Join(dir, b.kind+".sql")
		if err := os.WriteFile(file, []byte(b.script), 0o600); err != nil {
			return rep, err
		}
		var out []byte
		var runErr error
		s := cpu.start(0)
		pgb := exec.CommandContext(ctx, o.pgbench, "-n", "-c", strconv.Itoa(o.clients), "-j", strconv.Itoa(min(o.clients, runtime.NumCPU())),
			"-T", strconv.Itoa(o.seconds), "-D", "n="+strconv.Itoa(o.users), "-f", file, dbURL)
		out, runErr = pgb.CombinedOutput()
		used := cpu.stop(s)
		if runErr != nil {
			return rep, fmt.Errorf("%s: %v: %s", o.pgbench, runErr, bytes.TrimSpace(out))
		}
		tps, tx, avg, failed, err := parsePgbench(string(out))
		if err != nil {
			return rep, err
		}
		rep.Rows = append(rep.Rows, benchRow{Name: b.name, Kind: b.kind, Ops: tx, Errors: failed, Seconds: float64(o.seconds),
			PerSecond: tps, AvgMs: avg, DBCPU: perOp(used.db, tx), AllPGCPU: perOp(used.allPG, tx),
			ClientCPU: perOp((pgb.ProcessState.UserTime() + pgb.ProcessState.SystemTime()).Seconds(), tx)})
	}

	// 2. idbridge serve on the same PostgreSQL.
	var extra []string
	if !o.sqlite {
		extra = append(extra, "IDBRIDGE_DATABASE_URL="+dbURL)
	}
	rep.Backend = "PostgreSQL"
	if o.sqlite {
		rep.Backend = "SQLite (embedded)"
	}
	extra = append(extra, "IDBRIDGE_SCIM_MAX_INFLIGHT_PER_TOKEN="+strconv.Itoa(o.clients))
	srv, base, cli, stop, err := startServe(e, o.bin, dir, extra, progress)
	if err != nil {
		return rep, err
	}
	defer stop()
	company, err := cli("company", "create", "--name", "Bench")
	if err != nil {
		return rep, err
	}
	org, err := cli("org", "create", "--company", fmt.Sprint(company["id"]), "--name", "Bench", "--domain", "loadtest.example")
	if err != nil {
		return rep, err
	}
	tok, err := cli("scim-token", "create", "--org", fmt.Sprint(org["id"]), "--name", "bench")
	if err != nil {
		return rep, err
	}

	// 3. The SCIM load, with CPU and RSS around each phase.
	lt := newLoadtest(base+"/scim/v2", fmt.Sprint(tok["token"]), o.clients)
	suffix := ""
	lt.around = func(name string, run func() phaseResult) phaseResult {
		progress("SCIM %s%s", name, suffix)
		s := cpu.start(srv.Process.Pid)
		p := run()
		used := cpu.stop(s)
		if p.Requests == 0 && p.Errors == 0 {
			return p // a phase this run skips
		}
		r := rowFromPhase(p, name+suffix)
		r.ServerCPU, r.DBCPU, r.AllPGCPU = perOp(used.server, r.Ops), perOp(used.db, r.Ops), perOp(used.allPG, r.Ops)
		r.ClientCPU = perOp(used.client, r.Ops)
		r.RSSMiB = procStatusMiB(srv.Process.Pid, "VmRSS")
		rep.Rows = append(rep.Rows, r)
		return p
	}
	suffix = fmt.Sprintf(" [sync of %d]", o.users)
	if _, err := lt.runSCIM(loadtestOptions{users: o.users, groups: o.groups, workers: o.clients, batch: 100, lookups: o.lookups, bigAdds: o.bigAdds}); err != nil {
		return rep, err
	}
	if o.full {
		seeded := o.seedMembers
		progress("seeding %d members with %s", seeded, o.seed)
		seed := exec.CommandContext(ctx, o.psql, dbURL, "-q", "-v", "org="+fmt.Sprint(org["id"]), "-v", "run=seed1m", "-v", "n="+strconv.Itoa(seeded), "-f", o.seed)
		if out, err := seed.CombinedOutput(); err != nil {
			return rep, fmt.Errorf("seed: %v: %s", err, bytes.TrimSpace(out))
		}
		suffix = fmt.Sprintf(" [org of %d]", seeded+o.users)
		if _, err := lt.runSCIM(loadtestOptions{users: seeded, run: "seed1m", workers: o.clients, lookups: o.lookups, lookupOnly: true}); err != nil {
			return rep, err
		}
		// A group of 100,000 of them (a tenth of the seeded members if fewer), then single adds.
		group := min(100000, seeded/10)
		adds := max(group/10, 1)
		if _, err := lt.runSCIM(loadtestOptions{users: group + adds, run: "seed1m", workers: o.clients, bigAdds: adds}); err != nil {
			return rep, err
		}
	}
	setRatios(rep.Rows)
	rep.PeakRSSMiB = procStatusMiB(srv.Process.Pid, "VmHWM")
	rep.LoadAfter = loadAverage()
	rep.Seconds = time.Since(t0).Seconds()
	return rep, nil
}

func perOp(seconds float64, ops int) float64 {
	if ops == 0 {
		return 0
	}
	return math.Round(seconds*1e6/float64(ops)) / 1000 // ms, to the microsecond
}

// cpuMeter samples CPU seconds from /proc: the server process, this run's
// database's backends with PostgreSQL's WAL writer, checkpointer and
// background writer (db), and every postgres process (allPG, with the
// postmaster's reaped children).
type cpuMeter struct {
	admin *pgx.Conn
	db    string
}

type cpuSample struct {
	serverPID             int
	server, client, allPG float64
	first, last           map[int]float64 // db pids' CPU at start (0: started later) and last seen
	done                  chan struct{}
	polled                chan struct{}
}

type cpuUsed struct{ server, client, db, allPG float64 }

const clockTicks = 100 // USER_HZ on Linux

// start samples before a phase (server is the server's pid, or 0) and polls
// the database's backends every 200 ms until stop, so that a backend that
// ends during the phase (pgbench's) still counts up to its last poll.
func (m *cpuMeter) start(server int) *cpuSample {
	s := &cpuSample{serverPID: server, allPG: allPostgresCPU(), first: map[int]float64{}, last: map[int]float64{},
		done: make(chan struct{}), polled: make(chan struct{})}
	if server > 0 {
		s.server, _ = procCPU(server, false)
	}
	s.client, _ = procCPU(os.Getpid(), false)
	for _, pid := range m.dbPIDs() {
		s.first[pid], _ = procCPU(pid, false)
	}
	go func() {
		defer close(s.polled)
		for {
			select {
			case <-s.done:
				return
			case <-time.After(200 * time.Millisecond):
				m.poll(s)
			}
		}
	}()
	return s
}

func (m *cpuMeter) poll(s *cpuSample) {
	for _, pid := range m.dbPIDs() {
		if v, ok := procCPU(pid, false); ok {
			s.last[pid] = v
		}
	}
}

// stop samples after the phase and returns what was used since start.
func (m *cpuMeter) stop(s *cpuSample) cpuUsed {
	close(s.done)
	<-s.polled
	m.poll(s)
	u := cpuUsed{allPG: allPostgresCPU() - s.allPG}
	if now, ok := procCPU(os.Getpid(), false); ok {
		u.client = now - s.client
	}
	if s.serverPID > 0 {
		now, _ := procCPU(s.serverPID, false)
		u.server = now - s.server
	}
	for pid, v := range s.last {
		u.db += v - s.first[pid]
	}
	return u
}

func (m *cpuMeter) dbPIDs() []int {
	rows, err := m.admin.Query(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE datname = $1 OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`, m.db)
	if err != nil {
		return nil
	}
	pids, _ := pgx.CollectRows(rows, pgx.RowTo[int32])
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out
}

// procCPU is utime+stime of a process in seconds (with its reaped children's
// when children is set).
func procCPU(pid int, children bool) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, false
	}
	var ticks int64
	last := 12 // utime, stime: fields 14, 15
	if children {
		last = 14 // cutime, cstime: fields 16, 17
	}
	for _, v := range f[11 : last+1] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return float64(ticks) / clockTicks, true
}

func allPostgresCPU() float64 {
	ents, _ := os.ReadDir("/proc")
	var sum float64
	for _, d := range ents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "postgres" {
			v, _ := procCPU(pid, true)
			sum += v
		}
	}
	return sum
}

// procStatusMiB reads a kB field of /proc/<pid>/status (VmRSS, VmHWM).
func procStatusMiB(pid int, field string) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, u string, limit time.Duration) error {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("idbridge serve not ready at %s after %s", u, limit)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the database URL"
	}
	return u.Redacted()
}

// benchDatabase makes a throw-away database on the PostgreSQL of dbURL (its
// user may create databases) and returns a connection to dbURL's database,
// the new one's name and URL, and drop, which removes it and closes admin.
func benchDatabase(ctx context.Context, dbURL string) (admin *pgx.Conn, name, url_ string, drop func(), err error) {
	admin, err = pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, "", "", nil, fmt.Errorf("connect to %s: %w", redactURL(dbURL), err)
	}
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	name = "idbridge_bench_" + hex.EncodeToString(tag)
	u, err := url.Parse(dbURL)
	if err == nil {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	}
	if err != nil {
		admin.Close(context.Background())
		return nil, "", "", nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return admin, name, u.String(), func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(context.Background())
	}, nil
}

// startServe migrates and starts `bin serve` on a free port with the
// environment without its IDBRIDGE_ variables, plus extra (the database);
// cli runs a command of bin with --json on the same settings; stop ends
// the server.
func startServe(e env, bin, dir string, extra []string, progress func(string, ...any)) (srv *exec.Cmd, base string,
	cli func(args ...string) (map[string]any, error), stop func(), err error) {
	ctx := e.ctx
	port, err := freePort()
	if err != nil {
		return nil, "", nil, nil, err
	}
	base = "http://127.0.0.1:" + strconv.Itoa(port)
	srvEnv := []string{"IDBRIDGE_ADDR=127.0.0.1:" + strconv.Itoa(port), "IDBRIDGE_BASE_URL=" + base,
		"IDBRIDGE_LOG_LEVEL=warn", "IDBRIDGE_DATA_DIR=" + dir}
	srvEnv = append(srvEnv, extra...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IDBRIDGE_") {
			srvEnv = append(srvEnv, kv)
		}
	}
	cli = func(args ...string) (map[string]any, error) {
		c := exec.CommandContext(ctx, bin, append(args, "--json")...)
		c.Env = srvEnv
		out, err := c.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			return nil, fmt.Errorf("idbridge %s: %v: %s", strings.Join(args[:2], " "), err, bytes.TrimSpace(stderr))
		}
		var v map[string]any
		return v, json.Unmarshal(out, &v)
	}
	progress("idbridge serve on %s", base)
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env = srvEnv
	if out, err := migrate.CombinedOutput(); err != nil {
		return nil, "", nil, nil, fmt.Errorf("idbridge migrate: %v: %s", err, bytes.TrimSpace(out))
	}
	srvLog, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, "", nil, nil, err
	}
	srv = exec.Command(bin, "serve")
	srv.Env, srv.Stdout, srv.Stderr = srvEnv, srvLog, srvLog
	if err := srv.Start(); err != nil {
		return nil, "", nil, nil, err
	}
	stop = func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}
	if err := waitReady(ctx, base+"/readyz", 60*time.Second); err != nil {
		stop()
		b, _ := os.ReadFile(srvLog.Name())
		return nil, "", nil, nil, fmt.Errorf("%w: %s", err, bytes.TrimSpace(b))
	}
	return srv, base, cli, stop, nil
}

// benchServerFlags defines --db (default TEST_DATABASE_URL, else the local
// PostgreSQL) and --bin of the bench commands.
func benchServerFlags(e env, fs *flag.FlagSet, db, bin *string) {
	def := e.getenv("TEST_DATABASE_URL")
	if def == "" {
		def = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	fs.StringVar(db, "db", def, "a PostgreSQL URL whose user may create databases (the bench makes and drops its own)")
	fs.StringVar(bin, "bin", "", "the idbridge binary to serve with (default: this one)")
}
