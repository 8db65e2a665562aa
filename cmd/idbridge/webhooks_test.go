package main

import (
	"strings"
	"testing"
)

func TestWebhookCommands(t *testing.T) {
	c := newCLI(t)
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme Hotels", "--domain", "acme.example")
	orgID := org["id"].(string)

	var w map[string]any
	c.ok(&w, "webhook", "create", "--url", "https://hooks.example.com/idbridge", "--org", orgID, "--events", "user.created,user.removed")
	id, _ := w["id"].(string)
	secret, _ := w["secret"].(string)
	if id == "" || !strings.HasPrefix(secret, "whsec_") || w["orgId"] != orgID {
		t.Fatalf("webhook create = %v", w)
	}
	code, out, _ := c.run("webhook", "create", "--url", "https://all.example.com/hook")
	if code != 0 || !strings.Contains(out, "secret:   whsec_") || !strings.Contains(out, "platform-wide") {
		t.Errorf("text create: exit %d\n%s", code, out)
	}
	var list []map[string]any
	c.ok(&list, "webhook", "list")
	if len(list) != 2 || list[0]["id"] != id || list[0]["secret"] != nil {
		t.Errorf("webhook list = %v", list)
	}
	code, out, _ = c.run("webhook", "list")
	if code != 0 || strings.Contains(out, secret) {
		t.Errorf("webhook list shows the secret: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"webhook", "create", "--url", "ftp://hooks.example.com/x"},
		{"webhook", "create", "--url", "https://hooks.example.com/x", "--events", "user.exploded"},
		{"webhook", "create", "--url", "https://hooks.example.com/x", "--org", "00000000-0000-0000-0000-000000000001"},
		{"webhook", "delete", "--id", "nope"},
	} {
		if code, _, errs := c.run(args...); code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d %q, want 1 with one line", args, code, errs)
		}
	}
	var del map[string]any
	c.ok(&del, "webhook", "delete", "--id", id)
	c.ok(&list, "webhook", "list")
	if len(list) != 1 {
		t.Errorf("after delete: %v", list)
	}
}
