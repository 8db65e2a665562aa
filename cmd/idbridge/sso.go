package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/idbridge/idbridge/server"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// SSO and connection commands of platform support: the admin API's actions
// (rule 12 holds here too: SSO is enabled only with a tested connection).
// Settings go through the protocol package's checks, as in the admin API.

func connectionJSON(c store.Connection) map[string]any {
	return map[string]any{"id": c.ID, "orgId": c.OrgID, "kind": c.Kind, "name": c.Name,
		"settings": web.RedactSettings(c.Settings), "testedAt": c.TestedAt, "createdAt": c.CreatedAt, "updatedAt": c.UpdatedAt}
}

// settingsFlag reads --settings JSON or --settings-file PATH ("-" is stdin); nil when neither.
func settingsFlag(e env, inline, file string) (*json.RawMessage, error) {
	if inline != "" && file != "" {
		return nil, usageError{"give --settings or --settings-file, not both"}
	}
	var b []byte
	switch {
	case inline != "":
		b = []byte(inline)
	case file == "-":
		return nil, usageError{"--settings-file - (stdin) is not supported; give a path"}
	case file != "":
		var err error
		if b, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("settings file: %w", err)
		}
	default:
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("settings: not valid JSON")
	}
	raw := json.RawMessage(b)
	return &raw, nil
}

// validateSettings runs the protocol package's checks (and completion: a
// SAML SP key pair, a sealed OIDC client secret), as the admin API does.
func validateSettings(e env, st *store.Store, kind store.ConnectionKind, settings json.RawMessage) (json.RawMessage, error) {
	cfg, err := loadConfig(e)
	if err != nil {
		return nil, err
	}
	if cfg.SecretKey == "" && cfg.DatabaseURL.Reveal() != "" {
		// A development key file is per folder: on a shared PostgreSQL it
		// would seal the secrets with a key the servers do not have.
		return nil, errCLISecretKey
	}
	w := web.FromConfig(st, cfg, server.NewLogger(e.stderr, slog.LevelWarn))
	return w.ValidateSettings(e.ctx, kind, settings)
}

// errCLISecretKey refuses to seal a connection's secrets on PostgreSQL
// without the servers' IDBRIDGE_SECRET_KEY.
var errCLISecretKey = errors.New("set IDBRIDGE_SECRET_KEY to the key the servers use: a connection's secrets are sealed with it, and on PostgreSQL the CLI has no key file of theirs")

func cmdSSOEnable(e env, args []string) error {
	fs := flags("sso enable", e)
	org := fs.String("org", "", "organization id")
	conn := fs.String("connection", "", "connection id (with a successful test sign-in)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "org", "connection"); err != nil {
		return err
	}
	return setSSO(e, *org, *conn, true, *asJSON)
}

func cmdSSODisable(e env, args []string) error {
	fs := flags("sso disable", e)
	org := fs.String("org", "", "organization id")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "org"); err != nil {
		return err
	}
	return setSSO(e, *org, "", false, *asJSON)
}

func setSSO(e env, orgID, connID string, on, asJSON bool) error {
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	var o store.Org
	if on {
		o, err = st.EnableSSO(e.ctx, supportActor(e), orgID, connID)
	} else {
		o, err = st.DisableSSO(e.ctx, supportActor(e), orgID)
	}
	if err != nil {
		return fmt.Errorf("organization %s: %w", orgID, err)
	}
	return output(e, asJSON, orgJSON(o), func(w io.Writer) {
		if o.SSOEnabled {
			fmt.Fprintf(w, "SSO enabled for %s with connection %s\n", o.Name, o.SSOConnectionID)
		} else {
			fmt.Fprintf(w, "SSO disabled for %s: members sign in with their password or \"forgot password\"\n", o.Name)
		}
	})
}

func cmdConnectionList(e env, args []string) error {
	fs := flags("connection list", e)
	org := fs.String("org", "", "organization id")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "org")
	if err != nil {
		return err
	}
	defer done()
	o, err := st.GetOrg(e.ctx, *org)
	if err != nil {
		return fmt.Errorf("organization %s: %w", *org, err)
	}
	cs, err := st.ListConnections(e.ctx, o.ID)
	if err != nil {
		return err
	}
	return printList(e, *asJSON, cs, connectionJSON, "ID\tKIND\tNAME\tTESTED\tSSO", func(c store.Connection) string {
		return fmt.Sprintf("%s\t%s\t%s\t%s\t%v", c.ID, c.Kind, c.Name, fmtTime(c.TestedAt), o.SSOEnabled && o.SSOConnectionID == c.ID)
	})
}

func cmdConnectionCreate(e env, args []string) error {
	fs := flags("connection create", e)
	org := fs.String("org", "", "organization id")
	kind := fs.String("kind", "", "saml or oidc")
	name := fs.String("name", "", "connection name")
	inline := fs.String("settings", "", "settings JSON")
	file := fs.String("settings-file", "", "file holding the settings JSON")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "org", "kind", "name"); err != nil {
		return err
	}
	settings, err := settingsFlag(e, *inline, *file)
	if err != nil {
		return err
	}
	in := store.NewConnection{Kind: store.ConnectionKind(*kind), Name: *name}
	if settings != nil {
		in.Settings = *settings
	}
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	if in.Settings, err = validateSettings(e, st, in.Kind, in.Settings); err != nil {
		return err
	}
	c, err := st.CreateConnection(e.ctx, supportActor(e), *org, in)
	if err != nil {
		return err
	}
	return output(e, *asJSON, connectionJSON(c), func(w io.Writer) { fmt.Fprintln(w, c.ID) })
}

func cmdConnectionUpdate(e env, args []string) error {
	fs := flags("connection update", e)
	org := fs.String("org", "", "organization id")
	id := fs.String("id", "", "connection id")
	name := fs.String("name", "", "new name")
	inline := fs.String("settings", "", "new settings JSON (clears the recorded test)")
	file := fs.String("settings-file", "", "file holding the new settings JSON")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args, "org", "id"); err != nil {
		return err
	}
	var ch store.ConnectionChange
	var err error
	if ch.Settings, err = settingsFlag(e, *inline, *file); err != nil {
		return err
	}
	if *name != "" {
		ch.Name = name
	}
	if ch.Name == nil && ch.Settings == nil {
		return usageError{"nothing to change: give --name or --settings"}
	}
	st, done, err := openStore(e)
	if err != nil {
		return err
	}
	defer done()
	if ch.Settings != nil {
		cur, err := st.GetConnection(e.ctx, *org, *id)
		if err != nil {
			return fmt.Errorf("connection %s: %w", *id, err)
		}
		v, err := validateSettings(e, st, cur.Kind, *ch.Settings)
		if err != nil {
			return err
		}
		ch.Settings = &v
	}
	c, err := st.UpdateConnection(e.ctx, supportActor(e), *org, *id, ch)
	if err != nil {
		return fmt.Errorf("connection %s: %w", *id, err)
	}
	return output(e, *asJSON, connectionJSON(c), func(w io.Writer) { fmt.Fprintf(w, "updated %s (%s)\n", c.ID, c.Name) })
}

func cmdConnectionDelete(e env, args []string) error {
	fs := flags("connection delete", e)
	org := fs.String("org", "", "organization id")
	id := fs.String("id", "", "connection id")
	asJSON := fs.Bool("json", false, "print JSON")
	st, done, err := openWith(e, fs, args, "org", "id")
	if err != nil {
		return err
	}
	defer done()
	if err := st.DeleteConnection(e.ctx, supportActor(e), *org, *id); err != nil {
		return fmt.Errorf("connection %s: %w", *id, err)
	}
	return output(e, *asJSON, map[string]any{"id": *id, "deleted": true}, func(w io.Writer) { fmt.Fprintf(w, "deleted %s\n", *id) })
}
