package main

import (
	"strings"
	"testing"
)

func TestAppCommands(t *testing.T) {
	c := newCLI(t)
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme Hotels", "--domain", "acme.example")
	orgID := org["id"].(string)

	var app map[string]any
	c.ok(&app, "app", "create", "--name", "Reports", "--redirect-uri", "https://reports.example.com/cb",
		"--redirect-uri", "http://localhost:8080/cb", "--post-logout-redirect-uri", "https://reports.example.com/", "--org", orgID)
	id, _ := app["clientId"].(string)
	secret, _ := app["clientSecret"].(string)
	if id == "" || !strings.HasPrefix(secret, "idbcs_") || app["issuer"] != "https://id.example" || app["public"] != false {
		t.Fatalf("app create = %v", app)
	}
	if orgs, _ := app["orgIds"].([]any); len(orgs) != 1 || orgs[0] != orgID {
		t.Errorf("orgIds = %v", app["orgIds"])
	}

	// The text output prints the secret once; show never does.
	code, out, _ := c.run("app", "create", "--name", "SPA", "--public", "--redirect-uri", "https://spa.example.com/cb")
	if code != 0 || !strings.Contains(out, "client_id:") || strings.Contains(out, "client_secret") ||
		!strings.Contains(out, "https://id.example/.well-known/openid-configuration") || !strings.Contains(out, "every organization") {
		t.Errorf("public app create: exit %d\n%s", code, out)
	}
	code, out, _ = c.run("app", "show", "--id", id)
	if code != 0 || strings.Contains(out, secret) || strings.Contains(out, "client_secret") || !strings.Contains(out, "Reports") {
		t.Errorf("app show: exit %d\n%s", code, out)
	}
	var list []map[string]any
	c.ok(&list, "app", "list")
	if len(list) != 2 || list[0]["name"] != "Reports" || list[1]["public"] != true {
		t.Errorf("app list = %v", list)
	}

	var rotated map[string]any
	c.ok(&rotated, "app", "rotate-secret", "--id", id)
	if s, _ := rotated["clientSecret"].(string); s == secret || !strings.HasPrefix(s, "idbcs_") {
		t.Errorf("rotate-secret = %v", rotated)
	}

	// Refusals: one line, exit 1, nothing written.
	for _, args := range [][]string{
		{"app", "create", "--name", "Bad", "--redirect-uri", "http://app.example.com/cb"},
		{"app", "create", "--name", "Bad", "--redirect-uri", "https://app.example.com/cb#frag"},
		{"app", "create", "--name", "Bad", "--redirect-uri", "https://app.example.com/cb", "--org", "00000000-0000-0000-0000-000000000001"},
		{"app", "show", "--id", "nope"},
	} {
		if code, _, errs := c.run(args...); code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q, want 1 with one line", args, code, errs)
		}
	}
	if code, _, _ := c.run("app", "create", "--name", "No redirect"); code != 2 {
		t.Errorf("create without --redirect-uri: exit %d, want 2", code)
	}
	c.ok(&list, "app", "list")
	if len(list) != 2 {
		t.Errorf("after refusals, %d apps, want 2", len(list))
	}

	if code, out, errs := c.run("app", "delete", "--id", id); code != 0 || !strings.Contains(out, "deleted") {
		t.Errorf("app delete: exit %d %q %q", code, out, errs)
	}
	if code, _, _ := c.run("app", "show", "--id", id); code != 1 {
		t.Errorf("show after delete: exit %d, want 1", code)
	}
}
