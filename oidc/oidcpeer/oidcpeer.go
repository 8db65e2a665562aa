package oidcpeer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idbridge/idbridge/sso/ssotest"
)

// Client is the one client the OP knows, and where the OP listens.
type Client struct {
	ID, Secret, RedirectURI string
	Port                    int // 0: a free one (set it to restart an OP at the same issuer)
}

// Account is one more account of the OP (besides alice@example.com), signed
// in with its Login (any password) on the dev login form.
type Account struct {
	Login         string `json:"-"`
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
}

// OP is a running oidc-provider.
type OP struct {
	Issuer string // http://127.0.0.1:<port>

	ssotest.Process
}

// Dir is the node project (op.mjs, package.json) next to this package.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "op")
}

// Need skips t when node or the npm package is missing, saying why and how
// to install it; with IDBRIDGE_REQUIRE_PEERS=1 (CI) it fails t instead.
func Need(t testing.TB) {
	t.Helper()
	need := func(what, install string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		if os.Getenv("IDBRIDGE_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s is not installed (%s) and IDBRIDGE_REQUIRE_PEERS=1: %v", what, install, err)
		}
		t.Skipf("%s is not installed (%v); install it with: %s", what, err, install)
	}
	_, err := exec.LookPath("node")
	need("node", "apt-get install -y nodejs npm", err)
	_, err = os.Stat(filepath.Join(Dir(), "node_modules", "oidc-provider"))
	need("npm package oidc-provider", "npm ci --prefix oidc/testdata/op", err)
}

// Start runs op.mjs on 127.0.0.1 (c.Port, or a free port) with client c and
// the extra accounts, and waits until it prints "ready". Close stops it.
func Start(c Client, accounts ...Account) (*OP, error) {
	extra := map[string]Account{}
	for _, a := range accounts {
		extra[a.Login] = a
	}
	accountsJSON, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	port := c.Port
	if port == 0 {
		if port, err = ssotest.FreePort(); err != nil {
			return nil, err
		}
	}
	dir := Dir()
	op := &OP{Issuer: fmt.Sprintf("http://127.0.0.1:%d", port)}
	op.Cmd = exec.Command(node, filepath.Join(dir, "op.mjs"))
	op.Cmd.Dir = dir
	op.Cmd.Env = append(os.Environ(), fmt.Sprintf("OP_PORT=%d", port), "OP_CLIENT_ID="+c.ID,
		"OP_CLIENT_SECRET="+c.Secret, "OP_REDIRECT_URI="+c.RedirectURI, "OP_ACCOUNTS="+string(accountsJSON))
	out, err := op.Cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// Its warnings (dev adapter, dev keys, Node version) only matter on failure.
	op.Cmd.Stderr = &op.Process
	if err := op.Cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if ok {
			return op, nil
		}
		op.Close()
		return nil, fmt.Errorf("oidcpeer: oidc-provider exited before it was ready:\n%s", op.Log())
	case <-time.After(20 * time.Second):
		op.Close()
		return nil, fmt.Errorf("oidcpeer: oidc-provider did not start within 20s:\n%s", op.Log())
	}
}
