package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// cli runs the real command line against a SQLite data dir of the test.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{"IDBRIDGE_DATA_DIR": t.TempDir(), "USER": "tester"}}
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
