package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func benchEnv(vars map[string]string) env {
	return env{getenv: func(k string) string { return vars[k] }}
}

// TestBenchFlags: the defaults fit a 2-core machine, --full gives the
// issue's sizes unless a size is given, and impossible sizes are refused.
func TestBenchFlags(t *testing.T) {
	o, err := parseBenchFlags(benchEnv(map[string]string{"TEST_DATABASE_URL": "postgres://x@h/db"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.db != "postgres://x@h/db" || o.users != 20000 || o.groups != 200 || o.clients != 16 || o.seconds != 15 || o.full {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parseBenchFlags(benchEnv(nil), []string{"--full", "--lookups", "7", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(o.db, "127.0.0.1:5432") || o.users != 100000 || o.groups != 1000 || o.lookups != 7 || o.bigAdds != 10000 || !o.json {
		t.Errorf("--full: %+v", o)
	}
	for _, args := range [][]string{{"--users", "100", "--big-adds", "100"}, {"--clients", "0"}, {"--full", "--sqlite"}, {"--nope"}, {"extra"}} {
		var ue usageError
		if _, err := parseBenchFlags(benchEnv(nil), args); !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

func TestParsePgbench(t *testing.T) {
	out := `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: /tmp/insert.sql
scaling factor: 1
query mode: simple
number of clients: 16
number of threads: 2
maximum number of tries: 1
duration: 15 s
number of transactions actually processed: 240123
number of failed transactions: 3 (0.001%)
latency average = 0.999 ms
initial connection time = 41.245 ms
tps = 16008.200000 (without initial connection time)
`
	tps, tx, avg, failed, err := parsePgbench(out)
	if err != nil || tps != 16008.2 || tx != 240123 || avg != 0.999 || failed != 3 {
		t.Errorf("parsePgbench = %v %v %v %v %v", tps, tx, avg, failed, err)
	}
	if _, _, _, _, err := parsePgbench("pgbench: error: connection refused"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("no summary: err = %v", err)
	}
}

// TestBenchReport: creates count users (two requests each), each SCIM row
// gets its ratio to the pgbench figure of its kind, and the table shows them.
func TestBenchReport(t *testing.T) {
	rows := []benchRow{
		{Name: "pgbench INSERT (user-shaped row)", Kind: "insert", Ops: 16000, PerSecond: 16000, AvgMs: 1, DBCPU: 0.1},
		{Name: "pgbench SELECT by (org, lower(name)) of 20000", Kind: "select", Ops: 20000, PerSecond: 20000, AvgMs: 0.8},
		rowFromPhase(phaseResult{Name: "users: filter+POST", Requests: 8000, Seconds: 1, PerSecond: 8000, P50: 2, P99: 9}, "users: filter+POST [sync of 4000]"),
		rowFromPhase(phaseResult{Name: "lookups: filter=userName eq", Requests: 7000, Seconds: 1, PerSecond: 7000, P99: 12.5}, "lookups"),
		rowFromPhase(phaseResult{Name: "add 1 member to a group of 1800+", Requests: 1600, Seconds: 1, PerSecond: 1600}, "adds"),
		rowFromPhase(phaseResult{Name: "groups: filter+POST", Requests: 10, Seconds: 1, PerSecond: 10, FirstError: "boom"}, "groups"),
	}
	setRatios(rows)
	want := []float64{0, 0, 0.25, 0.35, 0.1, 0}
	for i, r := range rows {
		if r.Ratio != want[i] {
			t.Errorf("%s: ratio %v, want %v", r.Name, r.Ratio, want[i])
		}
	}
	if rows[2].Ops != 4000 || rows[2].PerSecond != 4000 {
		t.Errorf("creates: %+v", rows[2])
	}
	var b bytes.Buffer
	benchReport{Date: "2026-12-01 10:00 UTC", Command: "idbridge bench scim --users 4000", CPUs: 2, LoadBefore: "1.00 1.00 1.00",
		LoadAfter: "2.00 1.50 1.00", PostgreSQL: "PostgreSQL 15", Backend: "SQLite (embedded)", Clients: 16, Rows: rows, PeakRSSMiB: 40}.print(&b)
	out := b.String()
	for _, s := range []string{"idbridge bench scim --users 4000", "2 CPUs, load average 1.00 1.00 1.00 before, 2.00 1.50 1.00 after; PostgreSQL 15; idbridge on SQLite (embedded)",
		"0.25            >= 0.25", "0.35  >= 0.35, p99 < 10", "12.50", "groups: first error: boom", "peak RSS 40 MiB"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
}
