package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cli runs the real command line against a SQLite data dir of the test.
type cli struct {
	t   *testing.T
	env map[string]string
}

// newCLI makes the database (operator commands never do) and gives the
// links a base URL, as the server's would.
func newCLI(t *testing.T) *cli {
	c := &cli{t: t, env: map[string]string{"IDBRIDGE_DATA_DIR": t.TempDir(), "USER": "tester", "IDBRIDGE_BASE_URL": "https://id.example"}}
	if code, _, errs := c.run("migrate"); code != 0 {
		t.Fatalf("idbridge migrate: exit %d, stderr %q", code, errs)
	}
	return c
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return c.env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

// ok runs a --json command that must succeed and decodes its output.
func (c *cli) ok(v any, args ...string) {
	c.t.Helper()
	code, out, errs := c.run(append(args, "--json")...)
	if code != 0 {
		c.t.Fatalf("idbridge %s: exit %d, stderr %q", strings.Join(args, " "), code, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("idbridge %s: output %q is not JSON: %v", strings.Join(args, " "), out, err)
	}
}

func TestOperatorFlow(t *testing.T) {
	c := newCLI(t)
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme S.p.A.")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme Hotels", "--domain", "acme.example,acme-hotels.example")
	if got := org["domains"].([]any); len(got) != 2 || org["slug"] != "acme-hotels" {
		t.Fatalf("org = %v, want two domains and slug acme-hotels", org)
	}
	orgID := org["id"].(string)

	// Plain output of create is the id alone, for scripts.
	code, out, _ := c.run("org", "create", "--company", company["id"].(string), "--name", "Acme Resort", "--domain", "resort.example")
	if code != 0 || len(strings.TrimSpace(out)) != 36 {
		t.Fatalf("plain org create = %d %q, want a bare id", code, out)
	}
	var orgs []map[string]any
	c.ok(&orgs, "org", "list", "--company", company["id"].(string))
	if len(orgs) != 2 {
		t.Fatalf("org list = %v, want 2 orgs", orgs)
	}

	var tok map[string]any
	c.ok(&tok, "scim-token", "create", "--org", orgID, "--name", "okta")
	secret, _ := tok["token"].(string)
	if !strings.HasPrefix(secret, "idb_scim_") {
		t.Fatalf("token = %q, want an idb_scim_ secret", secret)
	}
	var toks []map[string]any
	c.ok(&toks, "scim-token", "list", "--org", orgID)
	if len(toks) != 1 || toks[0]["token"] != nil || toks[0]["name"] != "okta" {
		t.Fatalf("token list = %v, want one token without its secret", toks)
	}
	var revoked map[string]any
	c.ok(&revoked, "scim-token", "revoke", "--org", orgID, "--id", tok["id"].(string))
	if revoked["revokedAt"] == nil {
		t.Fatalf("revoke = %v, want revokedAt", revoked)
	}

	var member map[string]any
	c.ok(&member, "user", "add", "--org", orgID, "--email", "Mario.Rossi@acme.example", "--given", "Mario", "--family", "Rossi", "--invite")
	if member["status"] != "pending" {
		t.Fatalf("member = %v, want pending after an invitation", member)
	}
	var acc map[string]any
	c.ok(&acc, "user", "set-email", "--email", "mario.rossi@ACME.example", "--new-email", "mario@acme.example")
	if acc["email"] != "mario@acme.example" {
		t.Fatalf("set-email = %v", acc)
	}
	c.ok(&acc, "user", "unlock", "--email", "mario@acme.example")
	if acc["failedAttempts"].(float64) != 0 {
		t.Fatalf("unlock = %v", acc)
	}
}

func TestOperatorErrors(t *testing.T) {
	c := newCLI(t)
	var company map[string]any
	c.ok(&company, "company", "create", "--name", "Beta")
	var org map[string]any
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Beta", "--domain", "beta.example")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"missing flag", []string{"company", "create"}, 2, "--name is required"},
		{"unknown company", []string{"org", "create", "--company", "00000000-0000-0000-0000-000000000000", "--name", "X", "--domain", "x.example"}, 1, "company: not found"},
		{"duplicate domain", []string{"org", "create", "--company", company["id"].(string), "--name", "Beta 2", "--domain", "BETA.example"}, 1, "domain already exists"},
		{"bad domain", []string{"org", "create", "--company", company["id"].(string), "--name", "Beta 3", "--domain", "not a domain"}, 1, "invalid domain"},
		{"non-ascii email", []string{"user", "add", "--org", org["id"].(string), "--email", "josé@beta.example"}, 1, "rule 2"},
		{"unknown org token", []string{"scim-token", "create", "--org", "nope"}, 1, "not found"},
		{"unknown account", []string{"user", "unlock", "--email", "nobody@beta.example"}, 1, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := c.run(tt.args...)
			if code != tt.wantCode || !strings.Contains(errs, tt.wantErr) {
				t.Fatalf("exit %d stderr %q, want exit %d containing %q", code, errs, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode == 1 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("stderr %q, want one line", errs)
			}
		})
	}
}

func TestBadConfigListsEveryProblem(t *testing.T) {
	c := newCLI(t)
	c.env["IDBRIDGE_BASE_URL"] = "ftp://x"
	c.env["IDBRIDGE_DATABASE_URL"] = "mysql://x"
	code, _, errs := c.run("serve")
	if code != 1 || !strings.Contains(errs, "IDBRIDGE_BASE_URL") || !strings.Contains(errs, "IDBRIDGE_DATABASE_URL") {
		t.Fatalf("exit %d stderr %q, want 1 naming both bad variables", code, errs)
	}
}

// A database that does not answer is a clear one-line failure, not a hang or a stack.
func TestDatabaseGoneIsOneLine(t *testing.T) {
	c := newCLI(t)
	c.env["IDBRIDGE_DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/idbridge?sslmode=disable&connect_timeout=2"
	code, _, errs := c.run("company", "list")
	if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "postgres") {
		t.Fatalf("exit %d stderr %q, want exit 1 with one line about postgres", code, errs)
	}
	t.Logf("stderr: %s", errs)
}

func TestHelpPrintsUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"org", "create", "-h"}, {"serve", "--help"}} {
		code, out, _ := c.run(args...)
		if code != 0 || !(strings.Contains(out, "usage: idbridge org create") || strings.Contains(out, "IDBRIDGE_ADDR")) {
			t.Fatalf("%v = exit %d, stdout %q; want 0 and the usage", args, code, out)
		}
	}
}

// Issue 8 item 21: run from another folder, an operator command refuses
// instead of making an empty database; its links come from the base URL
// serve recorded, not from the CLI's own default (http://127.0.0.1:8080).
func TestCLINeedsServersDatabaseAndBaseURL(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, env: map[string]string{"IDBRIDGE_DATA_DIR": dir, "USER": "tester"}}
	db := filepath.Join(dir, "idbridge.db")
	for _, args := range [][]string{{"company", "list"}, {"user", "unlock", "--email", "a@b.example"}} {
		code, _, errs := c.run(args...)
		if code != 1 || !strings.Contains(errs, "no database at "+db+": start `idbridge serve` or run `idbridge migrate` first") {
			t.Fatalf("%v without a database: exit %d, stderr %q", args, code, errs)
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an operator command created %s (%v)", db, err)
	}

	// serve records its base URL at start; the CLI, configured without one,
	// makes its invitation links from it.
	c.env["IDBRIDGE_ADDR"] = "127.0.0.1:0"
	c.env["IDBRIDGE_BASE_URL"] = "https://id.example:9443/"
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve"}, func(k string) string { return c.env[k] }, io.Discard, io.Discard)
	}()
	recorded := func() string {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(db); err != nil {
				continue
			}
			if st, done, err := openStore(env{ctx: context.Background(), getenv: func(k string) string { return map[string]string{"IDBRIDGE_DATA_DIR": dir}[k] }}); err == nil {
				u, _ := st.RecordedBaseURL(context.Background())
				done()
				if u != "" {
					return u
				}
			}
		}
		return ""
	}()
	stop()
	if code := <-served; code != 0 || recorded != "https://id.example:9443" {
		t.Fatalf("serve: exit %d, recorded base URL %q, want 0 and https://id.example:9443", code, recorded)
	}
	delete(c.env, "IDBRIDGE_BASE_URL")
	delete(c.env, "IDBRIDGE_ADDR")
	var company, org, member map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme", "--domain", "acme.example")
	c.ok(&member, "user", "add", "--org", org["id"].(string), "--email", "ada@acme.example", "--invite")
	st, done, err := openStore(env{ctx: context.Background(), getenv: func(k string) string { return c.env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ms, err := st.ListOutbox(context.Background(), "ada@acme.example")
	if err != nil || len(ms) != 1 || !strings.Contains(ms[0].Body, "https://id.example:9443/invitation?token=") {
		t.Fatalf("invitation = %v (%v), want a link on the recorded base URL", ms, err)
	}
}

// With no base URL recorded and none given, an invitation is refused before
// anything is written.
func TestCLIRefusesLinksWithoutBaseURL(t *testing.T) {
	c := newCLI(t)
	delete(c.env, "IDBRIDGE_BASE_URL")
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme", "--domain", "acme.example")
	code, _, errs := c.run("user", "add", "--org", org["id"].(string), "--email", "ada@acme.example", "--invite")
	if code != 1 || !strings.Contains(errs, "no base URL for the links: start `idbridge serve` once") {
		t.Fatalf("user add --invite without a base URL: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := c.run("user", "unlock", "--email", "ada@acme.example"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("the refused member exists: exit %d, stderr %q", code, errs)
	}
}
