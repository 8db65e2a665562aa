package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Support's user verbs: list with filters and paging, show, update (a rule
// refusal is one line naming the rule), invite, export and remove.
func TestUserCommands(t *testing.T) {
	c := newCLI(t)
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme Hotels", "--domain", "acme.example")
	orgID := org["id"].(string)
	for _, u := range []string{"ada", "bob", "cat"} {
		var m map[string]any
		c.ok(&m, "user", "add", "--org", orgID, "--email", u+"@acme.example", "--given", strings.ToUpper(u[:1])+u[1:], "--family", "Test")
	}
	c.ok(new(map[string]any), "user", "add", "--org", orgID, "--email", "admin@acme.example", "--type", "system_admin")

	var page struct {
		Users      []map[string]any `json:"users"`
		Total      int              `json:"total"`
		NextCursor string           `json:"nextCursor"`
	}
	c.ok(&page, "user", "list", "--org", orgID, "--sort", "email", "--limit", "2", "--type", "user")
	if page.Total != 3 || len(page.Users) != 2 || page.Users[0]["email"] != "ada@acme.example" || page.NextCursor == "" {
		t.Fatalf("first page = %+v", page)
	}
	c.ok(&page, "user", "list", "--org", orgID, "--sort", "email", "--limit", "2", "--type", "user", "--cursor", page.NextCursor)
	if len(page.Users) != 1 || page.Users[0]["email"] != "cat@acme.example" || page.NextCursor != "" {
		t.Fatalf("second page = %+v", page)
	}
	c.ok(&page, "user", "list", "--org", orgID, "--q", "bob")
	if page.Total != 1 {
		t.Fatalf("search bob = %+v", page)
	}
	if code, _, errs := c.run("user", "list", "--org", orgID, "--status", "asleep"); code != 2 || !strings.Contains(errs, "asleep") {
		t.Fatalf("bad status: exit %d %q, want a usage error naming it", code, errs)
	}

	var m map[string]any
	c.ok(&m, "user", "update", "--org", orgID, "--email", "bob@acme.example", "--subscription", "professional", "--reports-role", "viewer")
	if m["subscription"] != "professional" || m["reportsRole"] != "viewer" {
		t.Fatalf("update = %v", m)
	}
	code, _, errs := c.run("user", "update", "--org", orgID, "--email", "bob@acme.example", "--subscription", "none")
	if code != 1 || !strings.Contains(errs, "rule 7") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("rule 7 refusal: exit %d %q", code, errs)
	}
	c.ok(&m, "user", "show", "--org", orgID, "--email", "bob@acme.example")
	if m["subscription"] != "professional" || m["status"] != "inactive" {
		t.Fatalf("show after a refused update = %v", m)
	}

	c.ok(&m, "user", "invite", "--org", orgID, "--email", "cat@acme.example")
	c.ok(&m, "user", "show", "--org", orgID, "--email", "cat@acme.example")
	if m["status"] != "pending" || m["invitedAt"] == nil {
		t.Fatalf("after invite = %v", m)
	}

	out := filepath.Join(t.TempDir(), "users.xlsx")
	if code, stdout, errs := c.run("user", "export", "--org", orgID, "--type", "user", "--sort", "email", "--out", out); code != 0 || strings.TrimSpace(stdout) != out {
		t.Fatalf("export: exit %d %q %q", code, stdout, errs)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Users")
	f.Close()
	if err != nil || len(rows) != 4 || rows[1][1] != "ada@acme.example" || rows[3][1] != "cat@acme.example" {
		t.Fatalf("export rows = %v, %v", rows, err)
	}
	if code, _, _ := c.run("user", "export", "--org", orgID, "--out", out); code != 1 {
		t.Fatalf("export over an existing file: exit %d, want 1", code)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}

	c.ok(&m, "user", "remove", "--org", orgID, "--email", "ada@acme.example")
	if code, _, errs := c.run("user", "show", "--org", orgID, "--email", "ada@acme.example"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("show after remove: exit %d %q", code, errs)
	}
	// The last enabled system admin stays (rule 6).
	if code, _, errs := c.run("user", "remove", "--org", orgID, "--email", "admin@acme.example"); code != 1 || !strings.Contains(errs, "rule 6") {
		t.Fatalf("remove the last admin: exit %d %q", code, errs)
	}
}
