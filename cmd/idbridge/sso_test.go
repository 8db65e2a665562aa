package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/server"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/store/postgres/pgtest"
)

func TestSSOAndConnectionCommands(t *testing.T) {
	c := newCLI(t)
	c.env["IDBRIDGE_ALLOW_PRIVATE_METADATA"] = "true" // the test's OIDC issuer is on loopback
	op := fakeIssuer(t)
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme Hotels", "--domain", "acme.example")
	orgID := org["id"].(string)

	var conn map[string]any
	c.ok(&conn, "connection", "create", "--org", orgID, "--kind", "oidc", "--name", "Entra",
		"--settings", `{"issuer":"`+op+`","clientId":"idbridge","clientSecret":"s3cr3t"}`)
	id := conn["id"].(string)
	if conn["testedAt"] != nil || strings.Contains(jsonText(t, conn), "s3cr3t") {
		t.Fatalf("create = %v, want untested and no secret", conn)
	}
	file := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(file, []byte(`{"issuer":"`+op+`","clientId":"idbridge2","clientSecret":"s3cr3t2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok(&conn, "connection", "update", "--org", orgID, "--id", id, "--name", "Entra ID", "--settings-file", file)
	if conn["name"] != "Entra ID" {
		t.Fatalf("update = %v", conn)
	}
	var list []map[string]any
	c.ok(&list, "connection", "list", "--org", orgID)
	if len(list) != 1 || list[0]["id"] != id {
		t.Fatalf("list = %v", list)
	}

	// Rule 12: not before a successful test sign-in.
	code, _, errs := c.run("sso", "enable", "--org", orgID, "--connection", id)
	if code != 1 || !strings.Contains(errs, "rule 12") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("enable untested: exit %d %q, want 1 with one line naming rule 12", code, errs)
	}
	c.recordTest(orgID, id)
	var o map[string]any
	c.ok(&o, "sso", "enable", "--org", orgID, "--connection", id)
	if o["ssoEnabled"] != true || o["ssoConnectionId"] != id {
		t.Fatalf("enable = %v", o)
	}
	if code, _, errs := c.run("connection", "delete", "--org", orgID, "--id", id); code != 1 || !strings.Contains(errs, "rule 12") {
		t.Fatalf("delete the enabled connection: exit %d %q, want 1 (rule 12)", code, errs)
	}
	code, out, _ := c.run("sso", "disable", "--org", orgID)
	if code != 0 || !strings.Contains(out, "SSO disabled") {
		t.Fatalf("disable: exit %d %q", code, out)
	}
	var del map[string]any
	c.ok(&del, "connection", "delete", "--org", orgID, "--id", id)
	c.ok(&list, "connection", "list", "--org", orgID)
	if len(list) != 0 {
		t.Fatalf("list after delete = %v", list)
	}

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing org", []string{"sso", "disable"}, 2, "--org is required"},
		{"bad kind", []string{"connection", "create", "--org", orgID, "--kind", "ldap", "--name", "x"}, 1, "invalid kind"},
		{"bad settings", []string{"connection", "create", "--org", orgID, "--kind", "saml", "--name", "x", "--settings", "{"}, 1, "not valid JSON"},
		{"settings the protocol refuses", []string{"connection", "create", "--org", orgID, "--kind", "oidc", "--name", "x", "--settings", `{"issuer":"` + op + `"}`}, 1, "clientId is required"},
		{"nothing to change", []string{"connection", "update", "--org", orgID, "--id", id}, 2, "nothing to change"},
		{"unknown org", []string{"connection", "list", "--org", "00000000-0000-0000-0000-000000000000"}, 1, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := c.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d %q, want %d containing %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

// recordTest stands in for a successful test sign-in in the browser.
func (c *cli) recordTest(orgID, connID string) {
	c.t.Helper()
	cfg, err := config.Load(nil, func(k string) string { return c.env[k] })
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := server.OpenStore(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Backend().Close()
	if _, err := st.RecordConnectionTest(context.Background(), store.SupportActor("test"), orgID, connID); err != nil {
		c.t.Fatal(err)
	}
}

// fakeIssuer serves an OIDC discovery document, enough for the settings check.
func fakeIssuer(t *testing.T) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":%q,"token_endpoint":%q,"jwks_uri":%q,
			"response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`,
			srv.URL, srv.URL+"/auth", srv.URL+"/token", srv.URL+"/jwks")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	if err := output(env{stdout: &b}, true, v, nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// On PostgreSQL the CLI seals a connection's secrets only with the servers'
// IDBRIDGE_SECRET_KEY, never with a key file of its own folder.
func TestConnectionNeedsTheServersKeyOnPostgres(t *testing.T) {
	c := &cli{t: t, env: map[string]string{"IDBRIDGE_DATA_DIR": t.TempDir(), "USER": "tester",
		"IDBRIDGE_BASE_URL": "https://id.example", "IDBRIDGE_DATABASE_URL": pgtest.NewDatabase(t)}}
	if code, _, errs := c.run("migrate"); code != 0 {
		t.Fatalf("migrate: exit %d %q", code, errs)
	}
	var company, org map[string]any
	c.ok(&company, "company", "create", "--name", "Acme")
	c.ok(&org, "org", "create", "--company", company["id"].(string), "--name", "Acme Hotels", "--domain", "acme.example")
	args := []string{"connection", "create", "--org", org["id"].(string), "--kind", "saml", "--name", "Okta",
		"--settings", `{"idpMetadataXml":"<x/>"}`}
	code, _, errs := c.run(args...)
	if code != 1 || !strings.Contains(errs, "IDBRIDGE_SECRET_KEY") {
		t.Fatalf("create without the key: exit %d %q, want 1 naming IDBRIDGE_SECRET_KEY", code, errs)
	}
	var list []map[string]any
	c.ok(&list, "connection", "list", "--org", org["id"].(string))
	if len(list) != 0 {
		t.Fatalf("a refused create left %v", list)
	}
	if _, err := os.Stat(filepath.Join(c.env["IDBRIDGE_DATA_DIR"], "secret.key")); err == nil {
		t.Fatalf("the CLI made a key file of its own")
	}
}
