package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestComposeEnvironmentIsValid keeps docker-compose.yml and Validate in
// step: the idbridge service's IDBRIDGE_* settings must load without error.
func TestComposeEnvironmentIsValid(t *testing.T) {
	data, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^\s+(IDBRIDGE_[A-Z_]+):\s*(.*)$`)
	vars := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			vars[m[1]] = strings.Trim(m[2], `"'`)
		}
	}
	if vars["IDBRIDGE_SMTP_HOST"] == "" || vars["IDBRIDGE_DATABASE_URL"] == "" {
		t.Fatalf("found no idbridge environment in docker-compose.yml: %v", vars)
	}
	c, err := Load(nil, env(vars))
	if err != nil {
		t.Fatalf("docker-compose.yml environment: %v", err)
	}
	if c.SMTP.TLSMode != TLSNone || c.SMTP.Host != "mailpit" {
		t.Errorf("SMTP = %+v, want mailpit without TLS", c.SMTP)
	}
}
