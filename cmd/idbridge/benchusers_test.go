package main

import (
	"errors"
	"strings"
	"testing"
)

// TestBenchUsersFlags: the defaults run in about two minutes, --full gives
// the sizes unless a size is given, and impossible sizes are refused.
func TestBenchUsersFlags(t *testing.T) {
	o, err := parseBenchUsersFlags(benchEnv(map[string]string{"TEST_DATABASE_URL": "postgres://x@h/db"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.db != "postgres://x@h/db" || o.members != 200000 || o.export != 20000 || o.repeats != 50 || o.bulk != 2000 || o.full {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parseBenchUsersFlags(benchEnv(nil), []string{"--full", "--export", "7", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(o.db, "127.0.0.1:5432") || o.members != 1000000 || o.export != 7 || o.bulk != 100000 || !o.json {
		t.Errorf("--full: %+v", o)
	}
	for _, args := range [][]string{{"--members", "10", "--export", "11"}, {"--members", "10", "--export", "5", "--bulk", "5"}, {"--bulk", "-1"}, {"--export", "0"}, {"--repeats", "0"}, {"--nope"}, {"extra"}} {
		var ue usageError
		if _, err := parseBenchUsersFlags(benchEnv(nil), args); !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
